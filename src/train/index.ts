// The training loop's public face: `train` (src/train/fit.ts) and what callers configure it with. The phases
// live one per file beside it: rollout, reward, teacher, update, metrics, evaluate, checkpoint; summary.ts keeps a
// run's first, last and peak evaluation (summary.json).
export { checkTrainConfig, DEFAULT_TRAIN, resolveTrainConfig, TRAIN_BOUNDS, TRAIN_MIXES, TRAIN_OPTIONS, trainRulesProblem, type OptionRule, type ResolvedTrainConfig, type TrainConfig, type TrainMix, type TrainOption, type TrainRequest, type TrainSettings, ruleProblem } from './config.ts';
export { train, type ProgressSink, type TrainResult } from './fit.ts';
export { teacherRegimeOf } from './teacher-weights.ts';
export { DENSE_EVAL_SCHEDULE, evaluateTasks, evaluationSteps, formatEvalSchedule, parseEvalSchedule, valMetrics, type HeldOutAccuracy } from './evaluate.ts';
export { currentNames, RENAMED_METRICS } from './metrics.ts';
export { BENCHMARK_MEAN, evaluationLines, POOLED, traces, writeSummary, type RunSummary, type Trace } from './summary.ts';
export { epochOrder } from './rollout.ts';
export { teacherContexts } from './teacher.ts';
export { TrainingError, type StepMetrics } from './types.ts';
