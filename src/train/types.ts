// What the phases of the training loop (src/train/fit.ts) share: the run's fixed context, the trainer state a
// checkpoint holds, and the per-step metrics record.
import type { Method, MethodConfig } from '../../methods/types.ts';
import type { Adam } from '../optim.ts';
import type { Policy } from '../policy.ts';
import type { Task } from '../tasks.ts';
import type { TeacherWorker } from '../teacher-worker.ts';
import type { RngState } from '../util/rng.ts';
import type { TrainConfig } from './config.ts';
import type { TeacherWeights } from './teacher-weights.ts';
import type { Params } from '../model/params.ts';

export { TrainingError } from '../util/errors.ts';

export type StepMetrics = Record<string, number>;

export interface DataOrder {
  epoch: number;
  cursor: number;
}

export interface TrainerState {
  step: number;
  rng: RngState;
  data: DataOrder;
  adamStep: number;
  lastEval?: Record<string, number>;
}

/** Everything a phase reads that stays fixed over the run (the policy's weights and Adam's moments change in place). */
export interface RunContext {
  cfg: TrainConfig;
  method: Method;
  mcfg: MethodConfig;
  policy: Policy;
  adam: Adam;
  trainPool: Task[];
  evalTasks: Task[];
  /** The self-teacher's weights under the method's regime; null when the method has no teacher (or does not train). */
  teacher: TeacherWeights | null;
  /** The frozen KL reference in this thread; null without a KL term or when the worker holds it. */
  reference: Params | null;
  /** Scores the teacher and reference passes on the second core (wasm/cpu), or null: in turn. */
  worker: TeacherWorker | null;
  /** Warnings already given (each is said once per process). */
  warned: Set<string>;
}
