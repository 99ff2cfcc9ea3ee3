// The self-teacher's weights under the method's regime (methods/teacher-regime.ts), and which regime a method's
// teacher follows. Apart from the teacher's passes (teacher.ts), which read the run's context (types.ts) that holds
// these weights.
import * as tf from '@tensorflow/tfjs';
import { teacherUpdatesAfter, type TeacherRegime } from '../../methods/teacher-regime.ts';
import { cloneParams, disposeParams, type Params } from '../model/params.ts';
import type { Policy } from '../policy.ts';
import type { TeacherWorker } from '../teacher-worker.ts';
import type { Method, MethodConfig } from '../../methods/types.ts';
import { TrainingError } from '../util/errors.ts';

/**
 * The self-teacher's weights under a regime. `live` holds no copy: the student's own parameters score the pass.
 * `frozen`, `sync:N` and `ema:RATE` hold one copy of the starting weights, which `afterStep` keeps as the regime
 * says; the worker, when there is one, gets the weights a pass is to use before the pass.
 */
export class TeacherWeights {
  private readonly copy: Params | null;
  private worker: TeacherWorker | null = null;

  constructor(
    readonly regime: TeacherRegime,
    private readonly policy: Policy,
  ) {
    this.copy = regime.kind === 'live' ? null : cloneParams(policy.params);
  }

  /** The weights a pass in this thread uses. */
  get params(): Params {
    return this.copy ?? this.policy.params;
  }

  /** The copy a checkpoint holds (`teacher/<name>` tensors); null under `live`, whose teacher is the student. */
  get saved(): Params | null {
    return this.copy;
  }

  /** Restores the copy from a checkpoint's `teacher/<name>` tensors. */
  restore(tensors: ReadonlyMap<string, Float32Array>): void {
    if (!this.copy) return;
    for (const [k, x] of tensors) {
      const t = this.copy.get(k);
      if (t) tf.tidy(() => t.assign(tf.tensor(x, t.shape)));
    }
  }

  /** Passes from now on run in `worker`, which gets the copy now (a live teacher's weights go before each pass). */
  attach(worker: TeacherWorker): void {
    this.worker = worker;
    if (this.copy) worker.setParams(this.copy, 'teacher');
  }

  /** Before a pass on the worker: a live teacher sends the student's current weights (the copy is there already). */
  beforePass(): void {
    if (!this.copy && this.worker) this.worker.setParams(this.policy.params, 'teacher');
  }

  /** After training step `done` (1-based): `sync:N` replaces the copy every N-th step, `ema:RATE` moves it toward the student. */
  afterStep(done: number): void {
    if (!this.copy || !teacherUpdatesAfter(this.regime, done)) return;
    const rate = this.regime.kind === 'ema' ? this.regime.rate : 1;
    tf.tidy(() => {
      for (const [k, s] of this.policy.params) {
        const t = this.copy!.get(k)!;
        // θ_T ← (1 − rate)·θ_T + rate·θ_S; a sync is rate 1, assigned exactly.
        t.assign(rate === 1 ? s : t.mul(1 - rate).add(s.mul(rate)));
      }
    });
    this.worker?.setParams(this.copy, 'teacher');
  }

  dispose(): void {
    if (this.copy) disposeParams(this.copy);
  }
}

/** How the method's self-teacher keeps its weights (methods/teacher-regime.ts); null when it has none. */
export function teacherRegimeOf(method: Method, mcfg: MethodConfig): TeacherRegime | null {
  if (!method.teacherContext(mcfg) || !method.trains) return null;
  if (!method.teacherRegime) throw new TrainingError(`method '${method.name}' has a self-teacher but declares no teacher regime`);
  return method.teacherRegime(mcfg);
}
