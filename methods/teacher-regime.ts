// How a method keeps its self-teacher's weights (the `teacher` option of the teacher methods). The loop reads the
// parsed regime; a method file states its default and the reference it is taken from.
//   live      the student's own current weights score the teacher pass (no second copy)
//   frozen    a copy of the starting weights, never updated
//   sync:N    a frozen copy, replaced by the student's weights after every N-th training step
//   ema:RATE  a copy updated after every training step: θ_T ← (1 − RATE)·θ_T + RATE·θ_S
export type TeacherRegime = { kind: 'live' } | { kind: 'frozen' } | { kind: 'sync'; every: number } | { kind: 'ema'; rate: number };

export const TEACHER_REGIME_FORMS = 'live | frozen | sync:N (N ≥ 1 steps) | ema:RATE (0 < RATE ≤ 1)';

/** Parses `live`, `frozen`, `sync:N` or `ema:RATE`; null when the text is none of them. */
export function parseTeacherRegime(text: string): TeacherRegime | null {
  const t = text.trim();
  if (t === 'live') return { kind: 'live' };
  if (t === 'frozen') return { kind: 'frozen' };
  const sync = /^sync:(\d+)$/.exec(t);
  if (sync) {
    const every = Number(sync[1]);
    return Number.isSafeInteger(every) && every >= 1 ? { kind: 'sync', every } : null;
  }
  const ema = /^ema:([0-9]*\.?[0-9]+(?:e-?\d+)?)$/i.exec(t);
  if (ema) {
    const rate = Number(ema[1]);
    return Number.isFinite(rate) && rate > 0 && rate <= 1 ? { kind: 'ema', rate } : null;
  }
  return null;
}

export function formatTeacherRegime(r: TeacherRegime): string {
  return r.kind === 'sync' ? `sync:${r.every}` : r.kind === 'ema' ? `ema:${r.rate}` : r.kind;
}

/** Whether the teacher's weights change after training step `done` (1-based count of finished steps). */
export function teacherUpdatesAfter(r: TeacherRegime, done: number): boolean {
  return r.kind === 'ema' || (r.kind === 'sync' && done % r.every === 0);
}

/** The regime of a method's `teacher` option; throws one line when the text is none of the forms (a config built by hand). */
export function requireTeacherRegime(text: string, method: string): TeacherRegime {
  const regime = parseTeacherRegime(text);
  if (!regime) throw new Error(`option 'teacher' of method '${method}' must be ${TEACHER_REGIME_FORMS}, got ${JSON.stringify(text)}`);
  return regime;
}
