// Public API of the mini suite: the procedural generators, the spec a benchmark writes its mini version with
// (benchmarks/<name>/mini.ts), answer formats by name, and the suite's rows and files.
export * from './types.ts';
export { COLOURS, SHAPES, sceneKey, sceneSvg, scenePixels, scenePixelsFloat, renderScenePng, encodeScenePng, type Scene } from './scene.ts';
export { REF_OPEN, REF_CLOSE, REFERENCE_ONLY_WORDS, mentionsReference, answerOnlyReference } from './language.ts';
export {
  FAMILIES,
  FAMILY_NAMES,
  SUITE_FAMILIES,
  splitOfKey,
  draftTask,
  finishTask,
  generateTask,
  generateTasks,
  PngCache,
  type MiniTaskDraft,
  type GenOptions,
} from './generate.ts';
export { MINI_BENCHMARKS, miniSpec, answerStatement, formatHint, miniPrompt, miniTarget, miniTeacherPrompt, type MiniBenchmark } from './formats.ts';
export { RLSD_COLUMNS, miniImage, promptWith, rlsdColumns, targetWith, teacherPromptWith, type AnswerFormat, type ColumnDef, type FormattableTask, type MiniSpec, type MixEntry } from './spec.ts';
export {
  DEFAULT_COUNTS,
  MINI_EVAL_ITEMS,
  MINI_SPLITS,
  MINI_VALIDATION_SPLIT,
  miniRows,
  miniSplitName,
  miniTasks,
  writeMiniSuite,
  type MiniSuiteOptions,
  type MiniSuiteSplit,
} from './build.ts';
