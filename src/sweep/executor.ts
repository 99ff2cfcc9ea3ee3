// What runs a sweep's cells. `rlsd-bench sweep` plans the sweep (config → cells, sweep.json's record), then hands it
// to one Executor: the local pool (local.ts), a shard of it (`--shard i/n`, local.ts) or Slurm (slurm.ts). An
// executor decides only where each cell's train process runs; what a cell is, its command, its records and when it
// is done are the same for all (cells.ts, state.ts). docs/guides/add-an-executor.md adds one.
import type { TensorSettings } from '../backend.ts';
import type { FlagOption } from '../util/options.ts';
import type { SweepCell } from './cells.ts';
import type { SweepFile } from './state.ts';

/**
 * Where the config comes from: a file (as given) or a preset, or none (the sweep resumes from DIR/sweep.json). An
 * executor that starts the sweep again elsewhere (a Slurm array task) names it the same way.
 */
export type ConfigSource = { file: string } | { preset: string } | { stored: true };

/** A sweep as an executor gets it. */
export interface SweepRun {
  /** The sweep as planned from its config (planSweep), already checked against DIR/sweep.json when one is there. */
  planned: SweepFile;
  /** The sweep folder, absolute; nothing is written to it before the executor runs (not at all by a dry run). */
  dir: string;
  /** The cells to run: all of them, or one shard's. */
  cells: readonly SweepCell[];
  /** The tensor flags the sweep was given, for every cell's train (train's defaults for the others). */
  tensor: Partial<TensorSettings>;
  source: ConfigSource;
  /** Cells at once, where the executor runs them itself. */
  workers: number;
  /** Write the report once the cells are done (`--no-report`: not). */
  report: boolean;
  quiet: boolean;
  /** The values of the executor's own flags (`flags`), by field. */
  options: Record<string, unknown>;
}

/** One way of running a sweep's cells. */
export interface Executor {
  /** What `--executor` names it by, and what each cell.json it starts records. */
  name: string;
  /** Its line in `sweep --help` (`--executor`). */
  describe: string;
  /** Flags only it takes (shown in `sweep --help`; refused with another executor). */
  flags?: readonly FlagOption<Record<string, unknown>>[];
  /** `--dry-run`: says what it would run (order, estimates, commands or a job script); writes nothing. Returns the exit code. */
  dryRun(run: SweepRun): Promise<number>;
  /**
   * Runs the cells not done yet (or has a scheduler run them), recording each in its cell.json (state.ts
   * markCellStarted / markCellEnded, which a cell's own `sweep --shard` does when a scheduler starts it), then the
   * report when asked and the cells are done. Returns the exit code; failed cells end it with a TrainingError.
   */
  run(run: SweepRun): Promise<number>;
}
