// Phase 3, teacher: the self-teacher's pass over the step's responses with privileged context, and the frozen KL
// reference's pass — on the second core (src/teacher-worker.ts) while the update's student forward pass runs, or
// in turn. A pass comes back as a `Pending` handle the update phase takes as an argument and reads where its loss
// needs the numbers. The teacher's weights follow the method's regime (methods/teacher-regime.ts): `TeacherWeights`
// (teacher-weights.ts).
import { answerOnlyReference, REF_CLOSE, REF_OPEN } from '../../benchmarks/mini/language.ts';
import type { TeacherContext } from '../../methods/types.ts';
import type { Policy, PolicyInput } from '../policy.ts';
import type { Task } from '../tasks.ts';
import type { TeacherScores } from '../teacher-worker.ts';
import { sequenceTokens } from './metrics.ts';
import type { Rollout } from './rollout.ts';
import type { RunContext, StepMetrics } from './types.ts';

/**
 * A pass's numbers, computed when first read. A pass on the worker blocks there until the worker answers; the
 * time blocked (`waitedSeconds`) is the teacher's, not the reader's, and `workerSeconds` is the worker's own.
 */
export class Pending<T> {
  private value: T | undefined;
  private done = false;
  waitedSeconds = 0;
  workerSeconds = 0;
  /** True when the numbers come from the worker (then the two timings are logged). */
  readonly onWorker: boolean;

  private constructor(private readonly produce: (() => { value: T; workerSeconds: number }) | null, value?: T) {
    this.onWorker = produce !== null;
    if (!produce) {
      this.value = value;
      this.done = true;
    }
  }

  static ready<T>(value: T): Pending<T> {
    return new Pending<T>(null, value);
  }

  static fromWorker<T>(produce: () => { value: T; workerSeconds: number }): Pending<T> {
    return new Pending<T>(produce);
  }

  get(): T {
    if (!this.done) {
      const t0 = performance.now();
      const { value, workerSeconds } = this.produce!();
      this.waitedSeconds = (performance.now() - t0) / 1000;
      this.workerSeconds = workerSeconds;
      this.value = value;
      this.done = true;
    }
    return this.value as T;
  }
}

/** The self-teacher's pass: [B·R] log-probs of the sampled tokens (and [B·R·V] logits for a vocabulary-level loss). */
export interface TeacherPass {
  /** [B] 1 where the teacher scored the response with privileged context, else 0 (its numbers are then the rollout's). */
  available: Float32Array;
  scores: Pending<{ logProbs: Float32Array; logits: Float32Array | null }>;
}

/** The self-teacher's context for each response, per the method's declaration. */
export function teacherContexts(
  policy: Policy,
  kind: TeacherContext,
  prompts: Task[],
  groupIds: Int32Array,
  responseTexts: string[],
  rewards: Float32Array,
  reserve: number,
): { contexts: number[][]; available: Float32Array; truncated: Uint8Array } {
  const B = groupIds.length;
  const contexts: number[][] = [];
  const available = new Float32Array(B);
  const truncated = new Uint8Array(B);
  for (let i = 0; i < B; i++) {
    const task = prompts[groupIds[i]!]!;
    let privileged: string | null = null;
    if (kind === 'reference') {
      privileged = task.reference ?? null;
    } else if (kind === 'answer') {
      privileged = answerOnlyReference(task.item.answer);
    } else {
      // SDPO: another successful response of the same group, never the response itself.
      for (let j = 0; j < B; j++)
        if (j !== i && groupIds[j] === groupIds[i] && rewards[j]! >= 1) {
          privileged = `${REF_OPEN} ${responseTexts[j]!.trim()} ${REF_CLOSE}`;
          break;
        }
    }
    available[i] = privileged ? 1 : 0;
    const text = privileged ? `${privileged} ${task.prompt}` : task.prompt;
    const encoded = policy.encodeContext(text, { lenient: true, reserve });
    if (privileged && encoded.truncated > 0) truncated[i] = 1;
    contexts.push(encoded.ids);
  }
  return { contexts, available, truncated };
}

function fromWorker(pending: { wait(): TeacherScores }): () => { value: TeacherScores; workerSeconds: number } {
  return () => {
    const value = pending.wait();
    return { value, workerSeconds: value.workerSeconds };
  };
}

/**
 * Scores the step's responses with the self-teacher under privileged context: only responses that have one and
 * whose loss can depend on the teacher (`Method.teacherNeeded`); the others keep the rollout's log-probs (Δ = 0).
 * Null when the method has no teacher.
 */
export function teacherPass(run: Pick<RunContext, 'method' | 'mcfg' | 'policy' | 'cfg' | 'teacher' | 'worker' | 'warned'>, ro: Rollout, rewards: Float32Array, step: number, metrics: StepMetrics): TeacherPass | null {
  const { method, mcfg, policy, cfg, teacher } = run;
  const kind = method.teacherContext(mcfg);
  if (!kind || !teacher || !method.trains) return null;
  const { B, R, G, prompts, groupIds } = ro;
  const reserve = cfg.maxNewTokens;
  const needed = method.teacherNeeded?.(rewards, groupIds, mcfg, step);
  const tc = needed && needed.every((n) => n === 0)
    ? { contexts: [] as number[][], available: new Float32Array(B), truncated: new Uint8Array(B) }
    : teacherContexts(policy, kind, prompts, groupIds, ro.texts, rewards, reserve);
  const available = Float32Array.from(tc.available, (a, b) => (a > 0 && (!needed || needed[b]) ? 1 : 0));
  // A privileged context longer than the positions left by --max-new-tokens loses its leftmost tokens (the
  // start of the reference): counted over the contexts the teacher scores, and said once.
  const cut = tc.truncated.reduce((n, t, b) => n + (t && available[b]! > 0 ? 1 : 0), 0);
  if (cut > 0) {
    metrics['teacher/context_truncated'] = cut / B;
    if (!run.warned.has('truncation'))
      process.stderr.write(`rlsd-bench: warning: ${cut} of ${B} teacher contexts at step ${step + 1} did not fit the ${policy.promptBudget(reserve)} prompt positions left by --max-new-tokens ${reserve} and lost their first tokens (metric teacher/context_truncated)\n`);
    run.warned.add('truncation');
  }
  const full = method.needsFullDistributions(mcfg);
  const V = policy.cfg.vocabSize;
  const lp = ro.oldLogProbs.slice(); // skipped responses: teacher = the rollout policy (Δ = 0 in the first update)
  const fullLogits = full ? new Float32Array(B * R * V) : null;
  // A group whose responses share one teacher context runs as one shared prefix; else one prefix each.
  const shared = tc.contexts.length === 0 || prompts.every((_, g) => tc.contexts.slice(g * G, (g + 1) * G).every((c) => c.join() === tc.contexts[g * G]!.join()));
  const rows: number[] = [];
  let inputs: PolicyInput[];
  let teacherG: number;
  if (shared) {
    const groups = prompts.map((_, g) => g).filter((g) => available.subarray(g * G, (g + 1) * G).some((a) => a > 0));
    for (const g of groups) for (let j = 0; j < G; j++) rows.push(g * G + j);
    inputs = groups.map((g) => ({ patches: prompts[g]!.patches, context: tc.contexts[g * G]! }));
    teacherG = G;
  } else {
    for (let b = 0; b < B; b++) if (available[b]! > 0) rows.push(b);
    inputs = rows.map((b) => ({ patches: prompts[groupIds[b]!]!.patches, context: tc.contexts[b]! }));
    teacherG = 1;
  }
  metrics['teacher/pass_fraction'] = rows.length / B;
  const laidOut = (scored: Pick<TeacherScores, 'logProbs' | 'logits'>): { logProbs: Float32Array; logits: Float32Array | null } => {
    rows.forEach((b, k) => {
      lp.set(scored.logProbs[k]!, b * R);
      if (fullLogits && scored.logits) fullLogits.set(scored.logits[k]!, b * R * V);
    });
    return { logProbs: lp, logits: fullLogits };
  };
  const responses = rows.map((b) => ro.responses[b]!);
  // The pass's compute, in the unit of perf/total_num_tokens: image, privileged context and response per scored response.
  metrics['perf/teacher_tokens'] = sequenceTokens(policy.imageTokens, inputs, teacherG, responses);
  if (rows.length === 0) return { available, scores: Pending.ready({ logProbs: lp, logits: fullLogits }) };
  if (run.worker) {
    // Scored on the other core while the student's forward pass runs.
    teacher.beforePass();
    const produce = fromWorker(run.worker.submit(inputs, teacherG, responses, { temperature: cfg.temperature, full }));
    return { available, scores: Pending.fromWorker(() => { const r = produce(); return { value: laidOut(r.value), workerSeconds: r.workerSeconds }; }) };
  }
  return { available, scores: Pending.ready(laidOut(policy.scoreGrouped(inputs, teacherG, responses, { params: teacher.params, temperature: cfg.temperature, full }))) };
}

/** The frozen KL reference's [B·R] log-probs of the sampled tokens; null without a KL term. */
export function referencePass(run: Pick<RunContext, 'method' | 'mcfg' | 'policy' | 'cfg' | 'worker' | 'reference'>, ro: Rollout, metrics: StepMetrics): Pending<Float32Array> | null {
  const { method, mcfg, policy, cfg } = run;
  if (!method.needsReference(mcfg) || !method.trains) return null;
  metrics['perf/reference_tokens'] = sequenceTokens(policy.imageTokens, ro.promptInputs, ro.G, ro.responses);
  const laidOut = (scored: Pick<TeacherScores, 'logProbs'>): Float32Array => {
    const ref = new Float32Array(ro.B * ro.R);
    scored.logProbs.forEach((x, b) => ref.set(x, b * ro.R));
    return ref;
  };
  if (run.worker) {
    const produce = fromWorker(run.worker.submit(ro.promptInputs, ro.G, ro.responses, { temperature: cfg.temperature, full: false, slot: 'reference' }));
    return Pending.fromWorker(() => { const r = produce(); return { value: laidOut(r.value), workerSeconds: r.workerSeconds }; });
  }
  return Pending.ready(laidOut(policy.scoreGrouped(ro.promptInputs, ro.G, ro.responses, { params: run.reference!, temperature: cfg.temperature, full: false })));
}
