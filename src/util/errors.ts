// Every error a user may see, in one place. A command that ends with one of these prints its message as one line
// (`rlsd-bench: error: …`) and exits with the class's exit code; the CLI matches them with `instanceof`, so a
// library module throws the kind that fits and never imports the CLI to do so. Anything else that reaches the CLI
// is a bug: its stack is printed under RLSD_DEBUG=1.
//
// Not here on purpose: exceptions that stand for a Python exception inside a port of an official scorer
// (benchmarks/mathvista/python.ts PyError, benchmarks/mmmu/pyliteral.ts PyLiteralError, benchmarks/mathvision/latex.ts
// Fail). They are caught where they are thrown, as the original code catches its ValueError, and never reach a user.

/** The base of every error meant for the user: the message is one line and says what to do. */
export class RlsdBenchError extends Error {
  override name = 'RlsdBenchError';
  /** The process exit code when this error ends a command. */
  readonly exitCode: number = 1;
}

/** A flag or argument the command cannot accept (yargs' own refusals are usage errors too). Exit code 2. */
export class UsageError extends RlsdBenchError {
  override name = 'UsageError';
  override readonly exitCode: number = 2;
}

/**
 * A context that does not fit the positions left for it (strict encoding). Callers that know which setting is at
 * fault catch it and name the setting; when it is not caught it is a usage error too (exit code 2).
 */
export class ContextOverflowError extends RlsdBenchError {
  override name = 'ContextOverflowError';
  override readonly exitCode: number = 2;
}

/** Bad or missing input data; the message names the file (and line, row or field). */
export class DataError extends RlsdBenchError {
  override name = 'DataError';
}

/** A checkpoint that is missing, incomplete or inconsistent; the message names the file and the field. */
export class CheckpointError extends RlsdBenchError {
  override name = 'CheckpointError';
}

/** A tensor backend that cannot be loaded or initialised. */
export class BackendError extends RlsdBenchError {
  override name = 'BackendError';
}

/** A training run that cannot start or resume as asked (the run folder disagrees with the flags, or is corrupt). */
export class TrainingError extends RlsdBenchError {
  override name = 'TrainingError';
}

/** The teacher worker thread failed or gave no answer in time. */
export class TeacherWorkerError extends RlsdBenchError {
  override name = 'TeacherWorkerError';
}

/** A folder another live process is writing (the message names the holder). */
export class LockError extends RlsdBenchError {
  override name = 'LockError';
}

/** A write the file system refused (read-only folder, no permission); the message names the folder. */
export class WriteError extends RlsdBenchError {
  override name = 'WriteError';
}

/** An image that cannot be drawn here (e.g. no font renders its text); nothing is written instead of a blank one. */
export class RenderError extends RlsdBenchError {
  override name = 'RenderError';
}

/**
 * The exit code an error ends a command with, or undefined for an error nobody foresaw (a bug: the caller decides,
 * and shows its stack under RLSD_DEBUG). yargs' own refusals (YError, a class yargs does not export) are usage errors.
 */
export function exitCodeOf(err: unknown): number | undefined {
  if (err instanceof RlsdBenchError) return err.exitCode;
  if (err instanceof Error && err.name === 'YError') return 2;
  return undefined;
}

/** An error's first non-empty line, for a one-line message that quotes a loader's or library's failure. */
export function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? 'unknown error';
}
