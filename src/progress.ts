// Progress of every long command (pretrain, train, eval, the demo) through one small module. On a terminal: a
// bar with done/total, rate and ETA (cli-progress). Off a terminal (a log file, CI, a pipe): a plain line at most
// every PLAIN_INTERVAL_S seconds and one when the task ends, so a long command is never silent for minutes.
// `quiet` silences both. A bar hides the cursor; stopAllProgress() puts it back however the process ends.
import cliProgress from 'cli-progress';

/** Seconds between two plain progress lines off a terminal (RLSD_PROGRESS_INTERVAL_S overrides, for tests). */
export const PLAIN_INTERVAL_S = 10;

export interface ProgressOptions {
  /** What is counted, shown first on the line (e.g. 'mmmu', 'grpo'). */
  label: string;
  total: number;
  /** Already done before this process (a resume): shown, but not counted in the rate. */
  done?: number;
  /** What one unit is, for the plain line's rate ('items', 'steps'). */
  unit?: string;
  quiet?: boolean;
  /** Defaults to process.stderr; the bar is used only when it is a terminal. */
  stream?: NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean };
}

export interface ProgressTask {
  /** Sets the count done; `info` is shown after the counts (e.g. 'reward 62.50 %'). */
  update(done: number, info?: string): void;
  increment(n: number, info?: string): void;
  /** A line of its own (e.g. an evaluation's result) that does not break the bar; printed even off a terminal. */
  log(line: string): void;
  /** Ends the task: the bar stops, or the plain line is printed a last time. Idempotent. */
  stop(): void;
}

const active = new Set<{ stopBar(): void }>();

/** Stops every active bar and restores the terminal cursor (for signal handlers and error exits). */
export function stopAllProgress(): void {
  for (const a of [...active]) a.stopBar();
  active.clear();
  if (process.stderr.isTTY) process.stderr.write('\x1b[?25h');
}

/** "1h02m", "3m05s", "42s", "—" for an unknown duration. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** A fraction in [0,1] as the percent with two decimals every human-facing line uses ('—' when unknown). */
export function pct(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '—' : (100 * x).toFixed(2);
}

function intervalMs(): number {
  const env = Number(process.env['RLSD_PROGRESS_INTERVAL_S']);
  return 1000 * (Number.isFinite(env) && env >= 0 && process.env['RLSD_PROGRESS_INTERVAL_S'] !== '' && process.env['RLSD_PROGRESS_INTERVAL_S'] !== undefined ? env : PLAIN_INTERVAL_S);
}

/** Starts reporting one task. */
export function startProgress(opts: ProgressOptions): ProgressTask {
  const stream = opts.stream ?? process.stderr;
  const unit = opts.unit ?? 'items';
  const total = opts.total;
  const first = opts.done ?? 0;
  let done = first;
  let info = '';
  let stopped = false;
  const t0 = performance.now();
  const rate = (): number => (done - first) / Math.max(1e-9, (performance.now() - t0) / 1000);
  const eta = (): string => (done >= total ? '0s' : done > first ? formatDuration((total - done) / rate()) : '—');
  if (opts.quiet) return { update: () => {}, increment: () => {}, log: () => {}, stop: () => {} };

  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${opts.label} [{bar}] {value}/{total} | {rate} ${unit}/s | ETA {eta} {info}`, hideCursor: true, stream: stream as NodeJS.WriteStream, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    const fields = () => ({ rate: done > first ? rate().toFixed(2) : '—', eta: eta(), info });
    bar.start(total, done, fields());
    const handle = {
      stopBar: () => {
        if (stopped) return;
        stopped = true;
        bar.stop();
        active.delete(handle);
      },
    };
    active.add(handle);
    return {
      update: (n, i) => {
        done = n;
        if (i !== undefined) info = i;
        if (!stopped) bar.update(done, fields());
      },
      increment: (n, i) => {
        done += n;
        if (i !== undefined) info = i;
        if (!stopped) bar.update(done, fields());
      },
      log: (line) => {
        // Clear the bar's line, print, and let the bar redraw below.
        stream.write(`\r\x1b[2K${line}\n`);
        if (!stopped) bar.update(done, fields());
      },
      stop: () => handle.stopBar(),
    };
  }

  const every = intervalMs();
  let last = performance.now();
  let printed = -1; // the count of the last plain line, so the end does not repeat it
  const line = (): string =>
    `${opts.label}: ${done}/${total} ${unit} (${total > 0 ? ((100 * done) / total).toFixed(1) : '100.0'} %), ${done > first ? rate().toFixed(2) : '—'} ${unit}/s, ETA ${eta()}, ${formatDuration((performance.now() - t0) / 1000)} elapsed${info ? ` | ${info}` : ''}\n`;
  const maybe = (): void => {
    const now = performance.now();
    if (now - last >= every) {
      last = now;
      printed = done;
      stream.write(line());
    }
  };
  return {
    update: (n, i) => {
      done = n;
      if (i !== undefined) info = i;
      maybe();
    },
    increment: (n, i) => {
      done += n;
      if (i !== undefined) info = i;
      maybe();
    },
    log: (l) => {
      stream.write(`${l}\n`);
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      if (printed !== done) stream.write(line());
    },
  };
}
