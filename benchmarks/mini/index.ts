// Public API of the mini suite (procedural tasks, answer formats, Hugging Face-schema rows).
export * from './types.ts';
export { COLOURS, SHAPES, sceneKey, sceneSvg, scenePixels, scenePixelsFloat, renderScenePng, encodeScenePng, type Scene } from './scene.ts';
export { REF_OPEN, REF_CLOSE, REFERENCE_ONLY_WORDS, mentionsReference, answerOnlyReference } from './language.ts';
export {
  FAMILIES,
  FAMILY_NAMES,
  splitOfKey,
  draftTask,
  finishTask,
  generateTask,
  generateTasks,
  PngCache,
  type MiniTaskDraft,
  type GenOptions,
} from './generate.ts';
export { EVAL_SPLIT, answerStatement, formatHint, miniPrompt, miniTarget, miniTeacherPrompt, type FormattableTask } from './formats.ts';
export { BENCHMARK_MIX, MINI_SCHEMAS, DEFAULT_COUNTS, miniTasks, miniRows, writeMiniSuite, type MiniSuiteOptions } from './build.ts';
