// The sweep's public face: config (config.ts, schema.ts, presets.ts), cells (cells.ts), the records of a sweep folder
// (state.ts), the Executor interface (executor.ts) and its registry (executors.ts) with the local, shard and Slurm
// executors (local.ts, slurm.ts), and a sweep's run (run.ts).
export { checkSweepConfig, expandRows, formatValue, parseSweepText, readSweepConfig, sweepBase, SweepConfigError, SWEEP_TRAIN_OPTIONS, type OverrideSpec, type SweepConfig, type SweepRow, type TrainValue } from './config.ts';
export { cellRequest, COST_BY_SUITE, estimateCellSeconds, expandCells, hasTeacher, settingsOf, trainArgs, type SweepCell } from './cells.ts';
export { describePreset, presetFile, presetNames, readPreset } from './presets.ts';
export {
  CELL_FILE, cellDone, cellHolder, cellView, checkSameSweep, jsonDiff, lastMetrics, markCellEnded, markCellStarted, openSweep, planSweep, readCellFile, readSweepFile, statusText, summaryLastStep, SWEEP_FILE, writeCellFile,
  type CellFile, type CellRun, type CellStatus, type CellView, type ExecutorName, type SweepFile,
} from './state.ts';
export { BIN, cellCommand, errorOf, localExecutor, runCell, runCells, shardExecutor, shellLine, type CellOutcome, type RunOptions, type RunResult } from './local.ts';
export { type ConfigSource, type Executor, type SweepRun } from './executor.ts';
export { EXECUTORS, executorNames, getExecutor } from './executors.ts';
export { slurmExecutor } from './slurm.ts';
export { parseShard, runSweep, shardCells, type SweepArgs } from './run.ts';
