// What the running command is doing, for the Ctrl-C handler in src/cli/main.ts: a long loop publishes its last
// completed step here, so an interrupted run can say where it stopped and how to go on.

export interface Activity {
  command: 'train' | 'pretrain' | 'eval' | string;
  /** The last completed step (train, pretrain). */
  step?: number;
  /** The step of the last checkpoint written (train resumes from it). */
  checkpointStep?: number;
}

let current: Activity | null = null;

export function setActivity(a: Activity | null): void {
  current = a;
}

export function updateActivity(patch: Partial<Activity>): void {
  if (current) Object.assign(current, patch);
}

export function currentActivity(): Activity | null {
  return current;
}

/**
 * Lets pending signals be handled. A training loop is synchronous, so without a turn of the event loop between
 * steps a Ctrl-C would wait for the whole run; at a step boundary no file is half-written.
 */
export function yieldToEvents(): Promise<void> {
  return new Promise((res) => setImmediate(res));
}
