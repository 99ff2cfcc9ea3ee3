// OPSD — on-policy self-distillation. The student samples y from P_S(·|x); the self-teacher is the
// same network that also sees privileged context c, and the student is pulled towards it token by token,
// gradient through the student only.
//
// Setup, each default with its reference (declared once in `opsdOptions`; `rlsd-bench methods --verbose`):
// - privileged context `privileged=answer`: the released RLSD script's `data.trajectory_key=answer`
//   (iie-ycx/RLSD examples/visual_rl/rlsd_train.sh; rlsd_config.yaml `use_gt_as_hint: true`), as the paper
//   says. On the mini suite the self-teacher then sees '[ref] answer X [/ref] <the student's prompt>'
//   (benchmarks/mini/language.ts answerOnlyReference; X = the item's gold answer: a number, or the option
//   letter of a multiple-choice item), i.e. the question, its options and format hint, and the gold answer —
//   none of the solution's steps. `privileged=reference` shows the full reference solution
//   ('[ref] red 3 blue 2 hence 3 plus 2 is 5 answer 5 [/ref]'), which on the mini suite is nearly the target
//   response word for word: the teacher is then an oracle and OPSD close to SFT on gold traces (an ablation).
// - teacher regime `teacher=live`: iie-ycx/RLSD verl/trainer/opsd_config.py `freeze_teacher_model=False` (the
//   default; the actor module scores the teacher pass, dp_opsd_actor._get_teacher_module): the live student
//   is its own teacher, no second copy. `frozen`, `sync:N` and `ema:RATE` are options (methods/teacher-regime.ts).
//
// Default: generalised JSD over the full vocabulary, exactly TRL's `GKDTrainer.generalized_jsd_loss`
// (Agarwal et al. 2024, eq. 1): β = 0 → KL(T‖S) (forward), β = 1 → KL(S‖T) (reverse); otherwise the
// mixture M = β·T + (1−β)·S is formed in log space (logsumexp of log S + log(1−β) and log T + log β)
// and JSD_β = β·KL(T‖M) + (1−β)·KL(S‖M). Logits of both sides are divided by `temperature` first.
// Note that JSD_β does not tend to KL(T‖S) as β → 0 (it tends to 0): the endpoints are special
// cases, as in TRL.
// `variant: 'sampled-token'`: per token −sg(log P_T(y_t) − log P_S(y_t))·log P_S(y_t), whose gradient
// is the single-sample reverse-KL policy gradient (TRL/SDPO `sampled_token` mode; β and temperature
// do not apply — it uses the log-probs the loop computed).
// `isClip` > 0 multiplies each token's loss by min(exp(sg(logp − old)), isClip), SDPO's importance
// correction; 0 (default) = off, as in the RLSD repository's OPSD baseline.
//
// Departures: the RLSD repository's OPSD defaults to `distillation_loss_type='kl'`, the k1 value
// sg(log P_T) − log P_S on the sampled token taken as the loss (opsd_algos.compute_opsd_kl_loss); we default
// to TRL's generalised JSD (the two have not been compared here).
// TRL reduces with a sum over the vocabulary and a mean over tokens; here the per-token
// divergence goes through the shared aggregation (default token-mean, which is the same thing).
// The RLSD repository's own OPSD JSD (opsd_algos.compute_opsd_jsd_loss, β = 0.5 only) clamps each
// token's JSD to [0, 10] and floors the mixture at 1e-10; we follow TRL and do not clamp.
// A response whose self-teacher had no privileged context (`teacherAvailable` 0) is not distilled:
// its teacher would be the student itself, so it is masked out rather than pulled anywhere.
import * as tf from '@tensorflow/tfjs';
import { aggregateLoss, logSoftmax, maskedMean, maskFill, meanEntropy, metric, requireShape, stopGradient, type LossAggMode } from './core.ts';
import { batchShape, grpoOptions } from './grpo.ts';
import { ANSWER_CONTEXT_SOURCE, defaultsOf, helpOf, privilegedOption, rulesOf, teacherOption, type OptionRules, type OptionSpecs } from './options.ts';
import { requireTeacherRegime } from './teacher-regime.ts';
import { type Method, type MethodInputs, type MethodOutput, type PrivilegedContext } from './types.ts';
import { TUNED_LR, TUNED_LR_MINI2 } from './tuned-lr.ts';
import { OKABE_ITO } from '../src/util/palette.ts';

export type OpsdVariant = 'jsd' | 'sampled-token';
export const OPSD_VARIANTS: readonly OpsdVariant[] = ['jsd', 'sampled-token'];

export type OpsdConfig = {
  variant: OpsdVariant;
  beta: number;
  temperature: number;
  lossAgg: LossAggMode;
  isClip: number;
  privileged: PrivilegedContext;
  teacher: string;
};

/** OPSD's options, each declared once (methods/options.ts). */
export const opsdOptions: OptionSpecs<OpsdConfig> = {
  variant: {
    default: 'jsd',
    help: 'jsd (generalised JSD over the vocabulary) | sampled-token (−sg(log P_T − log P_S)·log P_S)',
    rule: { kind: 'choice', choices: OPSD_VARIANTS },
    source: "TRL GKDTrainer.generalized_jsd_loss (iie-ycx/RLSD opsd_config.py defaults to distillation_loss_type='kl', a sampled-token k1)",
  },
  beta: {
    default: 0.5,
    help: 'JSD interpolation β: 0 = KL(teacher‖student), 1 = KL(student‖teacher), else JSD_β (TRL convention)',
    rule: { kind: 'number', min: 0, max: 1 },
    source: 'TRL GKDConfig beta=0.5; iie-ycx/RLSD opsd_algos.compute_opsd_jsd_loss fixes β = 0.5',
  },
  temperature: {
    default: 1,
    help: 'softmax temperature applied to student and teacher logits (jsd variant only)',
    rule: { kind: 'number', min: 0, minExclusive: true },
    source: 'the temperature the loop samples at (1); iie-ycx/RLSD divides both sides\' logits by the rollout temperature',
  },
  lossAgg: { ...grpoOptions.lossAgg },
  isClip: {
    default: 0,
    help: 'importance weight cap: token loss × min(π/π_old, isClip) (SDPO); 0 = off',
    rule: { kind: 'number', min: 0 },
    source: "off, as iie-ycx/RLSD's OPSD loss (opsd_algos.py has no importance weight)",
  },
  privileged: privilegedOption('answer', ANSWER_CONTEXT_SOURCE),
  teacher: teacherOption('live', 'iie-ycx/RLSD verl/trainer/opsd_config.py freeze_teacher_model=False: the live student is its own teacher'),
};

export const opsdDefaults: OpsdConfig = defaultsOf(opsdOptions);
export const opsdOptionHelp = helpOf(opsdOptions);
export const opsdOptionRules: OptionRules<OpsdConfig> = rulesOf(opsdOptions);

/**
 * [B,T] generalised JSD between teacher and student distributions, summed over the vocabulary
 * (TRL `generalized_jsd_loss` with reduction 'none'). Teacher logits are detached here.
 */
export function generalizedJsd(studentLogits: tf.Tensor3D, teacherLogits: tf.Tensor3D, beta: number, temperature = 1): tf.Tensor2D {
  const s = logSoftmax(tf.div(studentLogits, temperature) as tf.Tensor3D);
  const t = logSoftmax(tf.div(stopGradient(teacherLogits), temperature) as tf.Tensor3D);
  // KL(P‖Q) summed over the vocabulary, from log P and log Q (torch F.kl_div(logQ, logP, log_target=True).sum(-1)).
  const kl = (logP: tf.Tensor, logQ: tf.Tensor): tf.Tensor2D => tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), -1) as tf.Tensor2D;
  if (beta === 0) return kl(t, s);
  if (beta === 1) return kl(s, t);
  // log M = logsumexp(log S + log(1−β), log T + log β), written as m + log(e^(a−m) + e^(b−m)) with
  // m = sg(max(a, b)): the identity holds for any constant m, and it avoids tf.logSumExp over a
  // stacked axis, which costs ~3× more on WASM.
  const a = tf.add(s, Math.log1p(-beta));
  const b = tf.add(t, Math.log(beta));
  const m = stopGradient(tf.maximum(a, b));
  const mixture = tf.add(m, tf.log(tf.add(tf.exp(tf.sub(a, m)), tf.exp(tf.sub(b, m)))));
  return tf.add(tf.mul(kl(t, mixture), beta), tf.mul(kl(s, mixture), 1 - beta)) as tf.Tensor2D;
}

/**
 * The distillation loss over the tokens selected by `mask` (OPSD: the response mask; SDPO: the
 * response mask of responses whose teacher had privileged context). Metric 'opsd/divergence' =
 * masked mean of the per-token divergence (sampled-token: of log P_S − log P_T, the one-sample
 * estimate of KL(S‖T)), before importance weighting.
 */
export function distillationLoss(x: MethodInputs, cfg: Omit<OpsdConfig, 'privileged' | 'teacher'>, mask: tf.Tensor2D, method: string): MethodOutput {
  const [B, T] = batchShape(x, method);
  let perToken: tf.Tensor2D;
  let divergence: tf.Tensor2D;
  if (cfg.variant === 'jsd') {
    const V = x.studentLogits.shape[2];
    requireShape('teacherLogits', x.teacherLogits, [B, T, V], method);
    perToken = maskFill(generalizedJsd(x.studentLogits, x.teacherLogits!, cfg.beta, cfg.temperature), mask);
    divergence = perToken;
  } else if (cfg.variant === 'sampled-token') {
    requireShape('teacherLogProbs', x.teacherLogProbs, [B, T], method);
    const studentLogp = maskFill(x.logProbs, mask);
    const teacherLogp = stopGradient(maskFill(x.teacherLogProbs!, mask));
    const gap = stopGradient(tf.sub(teacherLogp, studentLogp)); // sg(log P_T − log P_S)
    perToken = tf.neg(tf.mul(gap, studentLogp)) as tf.Tensor2D;
    divergence = tf.neg(gap) as tf.Tensor2D;
  } else {
    throw new Error(`method '${method}': unknown variant '${String(cfg.variant)}' (known: ${OPSD_VARIANTS.join(', ')})`);
  }
  if (cfg.isClip > 0) {
    const logRatio = stopGradient(tf.clipByValue(maskFill(tf.sub(x.logProbs, x.oldLogProbs), mask), -20, 20));
    perToken = tf.mul(perToken, tf.minimum(tf.exp(logRatio), cfg.isClip)) as tf.Tensor2D;
  }
  const loss = aggregateLoss(perToken, mask, cfg.lossAgg);
  // The per-token signal in its own terms, −divergence: for the sampled-token variant sg(log P_T − log P_S), the
  // multiplier of log P_S (before the importance cap); for JSD the token's divergence, negated (a pull to shrink it,
  // not an advantage). Rows without a teacher get 0.
  const credit = stopGradient(maskFill(tf.neg(divergence), mask)) as tf.Tensor2D;
  return {
    loss,
    metrics: {
      'opsd/divergence': metric(maskedMean(divergence, mask)),
      'actor/entropy': meanEntropy(x.studentLogits, x.responseMask),
    },
    credit,
  };
}

/** The distillation loss's per-token signal in words (MethodOutput.credit of distillationLoss). */
export function distillationCreditMeaning(cfg: Pick<OpsdConfig, 'variant' | 'beta'>): string {
  return cfg.variant === 'jsd'
    ? `−JSD_β (β = ${cfg.beta}) between the teacher's and the student's next-token distributions: a pull to shrink, not an advantage; 0 where the teacher had no privileged context`
    : '−(log P_S − log P_T) = Δ_t, the multiplier of log P_S; 0 where the teacher had no privileged context';
}

/**
 * 1 for each response the self-teacher scored with privileged context (`teacherAvailable` > 0), else 0;
 * null when the loop gives no availability (then every response counts).
 */
export function teacherRows(x: MethodInputs, method: string, required = false): Float32Array | null {
  const [B] = batchShape(x, method);
  const available = x.teacherAvailable;
  if (available === undefined) {
    if (required) throw new Error(`method '${method}': input 'teacherAvailable' is required but missing`);
    return null;
  }
  if (available.length !== B) throw new Error(`method '${method}': 'teacherAvailable' has ${available.length} entries for a batch of ${B}`);
  return Float32Array.from(available, (a) => (a > 0 ? 1 : 0));
}

/**
 * The response mask restricted to the `rows` the self-teacher scored. The others carry no distillation
 * signal: the loop leaves them the rollout's log-probs and zero logits, which would pull them towards the
 * old policy or a uniform distribution.
 */
export function teacherMask(x: MethodInputs, rows: Float32Array | null): tf.Tensor2D {
  return rows ? (tf.mul(x.responseMask, tf.tensor2d(rows, [rows.length, 1])) as tf.Tensor2D) : x.responseMask;
}

export const opsd: Method<OpsdConfig> = {
  name: 'opsd',
  summary: 'OPSD: on-policy self-distillation towards the self-teacher given the gold answer (generalised JSD)',
  label: 'OPSD',
  reportRank: 2,
  colour: OKABE_ITO.orange,
  trains: true,
  teacherContext: (cfg) => cfg.privileged,
  teacherRegime: (cfg) => requireTeacherRegime(cfg.teacher, 'opsd'),
  needsFullDistributions: (cfg) => cfg.variant === 'jsd',
  needsReference: () => false,
  needsThoughtMask: () => false,
  options: opsdOptions,
  defaults: opsdDefaults,
  optionHelp: opsdOptionHelp,
  recommendedLr: TUNED_LR.opsd,
  recommendedLrBySuite: { 'mini-2': TUNED_LR_MINI2.opsd },
  creditMeaning: (cfg) => distillationCreditMeaning(cfg),
  loss(x, cfg) {
    return distillationLoss(x, cfg, teacherMask(x, teacherRows(x, 'opsd')), 'opsd');
  },
};
