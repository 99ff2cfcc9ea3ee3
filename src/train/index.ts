// The training loop's public face: `train` (src/train/fit.ts) and what callers configure it with. The phases
// live one per file beside it: rollout, reward, teacher, update, metrics, evaluate, checkpoint.
export { DEFAULT_TRAIN, TRAIN_BOUNDS, TRAIN_MIXES, TRAIN_OPTIONS, type OptionRule, type TrainConfig, type TrainMix, type TrainOption, ruleProblem } from './config.ts';
export { train, teacherRegimeOf, type ProgressSink, type TrainResult } from './fit.ts';
export { evaluateTasks } from './evaluate.ts';
export { epochOrder } from './rollout.ts';
export { teacherContexts } from './teacher.ts';
export { TrainingError, type StepMetrics } from './types.ts';
