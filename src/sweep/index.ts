// The sweep's public face: config (config.ts, schema.ts, presets.ts), cells (cells.ts), the records of a sweep folder
// (state.ts), the local executor (local.ts) and the command (command.ts). Other executors (Slurm) build on these.
export { checkSweepConfig, expandRows, formatValue, parseSweepText, readSweepConfig, sweepBase, SweepConfigError, SWEEP_TRAIN_OPTIONS, type OverrideSpec, type SweepConfig, type SweepRow, type TrainValue } from './config.ts';
export { argValue, COST, estimateCellSeconds, expandCells, hasTeacher, trainArgs, type SweepCell } from './cells.ts';
export { describePreset, presetFile, presetNames, readPreset } from './presets.ts';
export {
  CELL_FILE, cellDone, cellHolder, cellView, checkSameSweep, jsonDiff, lastMetrics, markCellEnded, markCellStarted, openSweep, planSweep, readCellFile, readSweepFile, statusText, summaryLastStep, SWEEP_FILE, writeCellFile,
  type CellFile, type CellStatus, type CellView, type Executor, type SweepFile,
} from './state.ts';
export { BIN, cellCommand, errorOf, runCell, runCells, shellLine, type CellCommandOptions, type CellOutcome, type RunOptions, type RunResult } from './local.ts';
export { parseShard, runSweep, shardCells, sweepCommand, type SweepArgs } from './command.ts';
