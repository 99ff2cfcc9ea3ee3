// What `rlsd-bench methods [--verbose]` prints: one line per method; verbose adds each method's setup — teacher
// regime, privileged context and learning rate, each with where it comes from — and every option with its
// default, help and the default's source. Everything is read from the method declarations (methods/types.ts).
import type { OptionSpec, Sourced } from './options.ts';
import { formatTeacherRegime } from './teacher-regime.ts';
import { UNTUNED_LR } from './tuned-lr.ts';
import type { Method } from './types.ts';

export interface MethodCard {
  name: string;
  summary: string;
  /** The default teacher regime (null: the method has no self-teacher). */
  teacher: Sourced<string> | null;
  /** The default privileged context (null: the method has no self-teacher). */
  context: Sourced<string> | null;
  lr: Sourced<number>;
  /** Rates tuned on other mini suites' bases, by suite (a run from such a base trains with its suite's). */
  lrBySuite: Array<{ suite: string } & Sourced<number>>;
  options: Array<{ key: string } & OptionSpec>;
}

/** A method's setup and options at its defaults, with their sources. */
export function describeMethod(method: Method): MethodCard {
  const cfg = method.defaults;
  const specs = method.options as Record<string, OptionSpec>;
  const kind = method.teacherContext(cfg);
  const regime = kind !== null && method.teacherRegime ? method.teacherRegime(cfg) : null;
  return {
    name: method.name,
    summary: method.summary,
    teacher: regime ? { value: formatTeacherRegime(regime), source: specs['teacher']?.source ?? 'fixed by the method' } : null,
    context: kind !== null ? { value: kind, source: specs['privileged']?.source ?? method.teacherContextSource ?? 'fixed by the method' } : null,
    lr: method.recommendedLr ?? UNTUNED_LR,
    lrBySuite: Object.entries(method.recommendedLrBySuite ?? {}).map(([suite, lr]) => ({ suite, ...lr })),
    options: Object.entries(specs).map(([key, spec]) => ({ key, ...spec })),
  };
}

/** A learning rate as it is written on the command line: 1e-4, 3e-5. */
export function formatLr(lr: number): string {
  return lr.toExponential().replace('e+', 'e').replace(/^(\d)\.0+e/, '$1e');
}

/** The text of `rlsd-bench methods [--verbose]` for the given methods. */
export function formatMethods(methods: readonly Method[], verbose: boolean): string {
  const width = Math.max(...methods.map((m) => m.name.length));
  const lines: string[] = [];
  for (const method of methods) {
    const card = describeMethod(method);
    lines.push(`${card.name.padEnd(width)}  ${card.summary}`);
    if (!verbose) continue;
    const pad = ' '.repeat(width + 2);
    const setup: Array<[string, string, string]> = [
      ['teacher regime', card.teacher?.value ?? 'none', card.teacher?.source ?? 'no self-teacher'],
      ['privileged context', card.context?.value ?? 'none', card.context?.source ?? 'no self-teacher'],
      ['learning rate', formatLr(card.lr.value), card.lr.source],
      ...card.lrBySuite.map((r): [string, string, string] => [`  on ${r.suite}`, formatLr(r.value), r.source]),
    ];
    const valueWidth = Math.max(...setup.map(([, v]) => v.length));
    for (const [label, value, source] of setup) lines.push(`${pad}${label.padEnd(19)} ${value.padEnd(valueWidth)}  ${source}`);
    if (card.options.length === 0) {
      lines.push(`${pad}options: none`);
      continue;
    }
    lines.push(`${pad}options (--opt key=value):`);
    const settings = card.options.map((o) => `${o.key}=${String(o.default)}`);
    const keyWidth = Math.max(...settings.map((s) => s.length));
    card.options.forEach((o, i) => {
      lines.push(`${pad}  ${settings[i]!.padEnd(keyWidth)}  ${o.help}`);
      lines.push(`${pad}  ${' '.repeat(keyWidth)}  default: ${o.source}`);
    });
  }
  return `${lines.join('\n')}\n`;
}
