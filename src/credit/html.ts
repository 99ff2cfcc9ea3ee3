// The credit view as one self-contained HTML page (credit.html): inline CSS, no script, no network (a
// Content-Security-Policy forbids any load; each problem's picture is inline). Every token of every response is a span whose background is its credit
// on the diverging scale of colour.ts; ground-truth reasoning steps are underlined, the first wrong step is boxed.
// `responseHtml` renders one response for a page of its own (the report can show worked examples with it).
import { escapeHtml } from '../util/html.ts';
import { creditScales, darkBackground, divergingColour, RDBU_11, signedNumber } from './colour.ts';
import type { CheckpointView, CreditView, ProblemView, ResponseView, SideInfo } from './view.ts';

const CSS = `
:root { color-scheme: light; }
body { font: 15px/1.5 "DejaVu Sans", Helvetica, Arial, sans-serif; color: #1d1d1f; margin: 0; background: #fafafa; }
main { max-width: 1500px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #e3e3e3; }
h3 { font-size: 15px; margin: 22px 0 4px; }
p.note { color: #555; font-size: 13px; max-width: 1100px; margin: 4px 0 10px; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 13px; }
table { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; margin: 6px 0 10px; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 3px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
`;

/** The rules of a response's tokens, its verdict line and the legend: credit.html's, and the report's worked examples'. */
export const TOKEN_CSS = `
.legend { display: flex; flex-wrap: wrap; gap: 28px; align-items: flex-start; margin: 8px 0 14px; font-size: 13px; }
.bar { width: 260px; height: 14px; border: 1px solid #999; background: linear-gradient(to right, ${RDBU_11.join(', ')}); }
.ticks { display: flex; justify-content: space-between; width: 262px; font-variant-numeric: tabular-nums; }
.problem { display: flex; gap: 14px; align-items: flex-start; }
.pic { image-rendering: pixelated; border: 1px solid #ccc; }
.q { font-family: "DejaVu Sans Mono", monospace; font-size: 13px; color: #333; margin: 2px 0; }
.resp { margin: 8px 0 10px; padding: 6px 8px; background: #fff; border: 1px solid #e6e6e6; border-radius: 4px; }
.resp .head { font-size: 13px; color: #333; margin-bottom: 4px; }
.resp .head .ok { color: #1a6e1a; font-weight: bold; }
.resp .head .bad { color: #a11; font-weight: bold; }
.cols { display: grid; grid-template-columns: repeat(var(--sides), minmax(0, 1fr)); gap: 14px; }
.colhead { font-size: 12px; color: #555; margin-bottom: 2px; }
.toks { font-family: "DejaVu Sans Mono", monospace; font-size: 13px; line-height: 2.1; white-space: pre-wrap; word-break: break-word; margin: 0; }
.t { padding: 2px 0; border-top: 2px solid transparent; border-bottom: 2px solid transparent; }
.t.dk { color: #fff; }
.t.st { text-decoration-line: underline; text-decoration-thickness: 2px; text-underline-offset: 4px; }
.t.st.s0 { text-decoration-color: #111; }
.t.st.s1 { text-decoration-color: #8a8a8a; }
.t.fw { border-top-color: #000; border-bottom-color: #000; }
.t.fw0 { border-left: 2px solid #000; }
.t.fw1 { border-right: 2px solid #000; }
.t.eos { font-size: 10px; }
.fwmark { font-weight: bold; font-size: 12px; margin-right: 1px; }
.swatch { display: inline-block; width: 40px; height: 14px; vertical-align: middle; margin-right: 6px; }
`;

/** The settings and each run's credit rule, for the page's head and the PNG's. */
export function sideName(side: Pick<SideInfo, 'label'>, k: number): string {
  return `${side.label}${k === 0 ? ' (A)' : ' (B)'}`;
}

function tokenTitle(r: ResponseView, t: number, k: number): string {
  const s = r.sides[k]!;
  const where = r.spans[t] === 'step' ? `reasoning step ${r.steps[t]! + 1}` : r.spans[t] === 'end' ? 'end of response' : r.spans[t] === 'answer' ? 'answer statement' : r.spans[t]!;
  const parts = [`token ${t}`, where, `credit ${signedNumber(s.credit[t]!)}`];
  if (s.delta) parts.push(`Δ ${signedNumber(s.delta[t]!)}`);
  if (s.weight) parts.push(`weight ${s.weight[t]!.toFixed(3)}`);
  if (r.firstWrong[t]) parts.push('first wrong step');
  return parts.join(' · ');
}

/** One response's tokens under one run's credit: a span per token, coloured, underlined by step, the first wrong step boxed. */
export function tokensHtml(r: ResponseView, k: number, scale: number): string {
  const credit = r.sides[k]!.credit;
  const out: string[] = [];
  for (let t = 0; t < r.tokens.length; t++) {
    const bg = divergingColour(credit[t]!, scale);
    const cls = ['t'];
    if (darkBackground(bg)) cls.push('dk');
    if (r.spans[t] === 'step') cls.push('st', `s${r.steps[t]! % 2}`);
    if (r.spans[t] === 'end') cls.push('eos');
    if (r.firstWrong[t]) {
      cls.push('fw');
      if (!r.firstWrong[t - 1]) {
        cls.push('fw0');
        out.push('<span class="fwmark" title="the first wrong step (benchmarks/mini/deep/parse.ts)">✗</span>');
      }
      if (!r.firstWrong[t + 1]) cls.push('fw1');
    }
    const text = r.spans[t] === 'end' ? ' ⟨eos⟩' : r.tokens[t]!;
    out.push(`<span class="${cls.join(' ')}" data-t="${t}" data-credit="${credit[t]!}" style="background:${bg}" title="${escapeHtml(tokenTitle(r, t, k))}">${escapeHtml(text)}</span>`);
  }
  return out.join('');
}

/** A response's verdict line: correct or not, the reward (each run's where they differ), the answer read, the first wrong step. */
export function verdictHtml(r: ResponseView, sides: readonly Pick<SideInfo, 'label'>[]): string {
  const mark = r.verdict >= 1 ? '<span class="ok">✓ correct</span>' : '<span class="bad">✗ incorrect</span>';
  const seen = r.sides.some((s) => s.reward !== r.verdict) ? ` (rewards seen: ${r.sides.map((s, k) => `${sides[k]!.label} ${s.reward}`).join(', ')})` : '';
  const error = r.error ? ` · first wrong step: ${escapeHtml(r.error.kind)} — ${escapeHtml(r.error.detail)}${r.error.inReasoning ? '' : ' (in the answer statement)'}` : '';
  const parsed = r.parsed ? '' : ' · some of its reasoning is outside the grammar';
  return `#${r.index + 1} ${mark} · reward ${r.verdict}${seen} · answer read: ${escapeHtml(r.extracted ?? 'none')}${error}${parsed}`;
}

/** One response: its verdict line and its tokens under each run's credit, side by side. */
export function responseHtml(
  r: ResponseView,
  sides: readonly Pick<SideInfo, 'label'>[],
  scales: readonly number[],
  ids: { step: number; problem: string },
  name: (side: Pick<SideInfo, 'label'>, k: number) => string = sideName,
): string {
  const cols = sides.map((s, k) => `<div class="col" data-side="${k === 0 ? 'a' : 'b'}"><div class="colhead">${escapeHtml(name(s, k))}</div><p class="toks">${tokensHtml(r, k, scales[k]!)}</p></div>`);
  return `<div class="resp" data-step="${ids.step}" data-problem="${escapeHtml(ids.problem)}" data-response="${r.index}"><div class="head">${verdictHtml(r, sides)}</div><div class="cols" style="--sides:${sides.length}">${cols.join('')}</div></div>`;
}

function problemHtml(p: ProblemView, c: CheckpointView, scales: readonly number[]): string {
  const picture = p.image ? `<img class="pic" src="${p.image}" alt="the problem's picture" width="128" height="128">` : '';
  return [
    `<h3>${escapeHtml(p.benchmark)} · <code>${escapeHtml(p.uid)}</code> · gold answer ${escapeHtml(p.answer)}</h3>`,
    `<div class="problem">${picture}<p class="q">${escapeHtml(p.prompt)}</p></div>`,
    ...p.responses.map((r) => responseHtml(r, c.sides, scales, { step: c.step, problem: p.uid })),
  ].join('\n');
}

const share = (x: number, n: number): string => (n === 0 || !Number.isFinite(x) ? '—' : `${(100 * x).toFixed(1)} %`);

function summaryTable(c: CheckpointView): string {
  const responses = c.problems.flatMap((p) => p.responses);
  const acc = responses.filter((r) => r.verdict >= 1).length;
  const rows = c.sides.map((s, k) => {
    const m = s.summary;
    const lambda = s.lossMetrics['grpo_opsd/stgca_effective_lambda'];
    return `<tr><td>${escapeHtml(sideName(s, k))}</td><td>${share(m.firstWrongShare, m.firstWrongN)} vs ${share(m.firstWrongChance, m.firstWrongN)} (n=${m.firstWrongN})</td><td>${share(m.firstWrongTopRate, m.firstWrongN)}</td><td>${share(m.fillerShare, m.fillerN)} vs ${share(m.fillerTokenShare, m.fillerN)} (n=${m.fillerN})</td><td>${lambda === undefined ? '—' : lambda.toFixed(3)}</td></tr>`;
  });
  return [
    `<p class="note">${responses.length} responses, ${acc} correct (${share(acc / Math.max(1, responses.length), responses.length)}). Shares of |credit| over each response's reasoning span (methods/credit.ts), responses whose credit is all 0 left out; "vs" the share uniform credit gives.</p>`,
    '<table><thead><tr><th>run</th><th>first wrong step: share of |credit| vs chance</th><th>most-credited token in it</th><th>filler: share of |credit| vs its tokens</th><th>RLSD λ</th></tr></thead>',
    `<tbody>${rows.join('')}</tbody></table>`,
  ].join('\n');
}

/** Each run's colour scale with its credit rule, and (`marks`) what the underlines and boxes mean. */
export function legendHtml(
  sides: readonly Pick<SideInfo, 'label' | 'creditMeaning'>[],
  scales: readonly number[],
  name: (side: Pick<SideInfo, 'label'>, k: number) => string = sideName,
  marks = true,
): string {
  const bars = sides.map(
    (s, k) =>
      `<div><div><strong>${escapeHtml(name(s, k))}</strong>: ${escapeHtml(s.creditMeaning)}</div><div class="bar" role="img" aria-label="credit scale from ${signedNumber(-scales[k]!)} to ${signedNumber(scales[k]!)}"></div>` +
      `<div class="ticks"><span>${signedNumber(-scales[k]!)}</span><span>0</span><span>${signedNumber(scales[k]!)}</span></div>${scales[k] === 0 ? '<div>all its credit here is 0</div>' : ''}</div>`,
  );
  const explained =
    '<div><div><span class="toks"><span class="t st s0">underlined</span><span class="t st s1"> underlined</span></span>: a ground-truth reasoning step (alternate steps in black and grey); filler and the answer statement are not underlined</div>' +
    '<div><span class="toks"><span class="fwmark">✗</span><span class="t fw fw0 fw1">boxed</span></span>: the first wrong step as the parser finds it (benchmarks/mini/deep/parse.ts)</div>' +
    '<div>Hover a token for its credit, Δ and weight.</div></div>';
  return `<div class="legend">${bars.join('')}${marks ? explained : ''}</div>`;
}

export function creditHtml(view: CreditView): string {
  const s = view.settings;
  const scales = creditScales(view);
  const first = view.checkpoints[0];
  const sides = first?.sides ?? [];
  const steps = view.checkpoints.map((c) => c.step);
  const title = `Where the credit went: ${sides.map((x, k) => sideName(x, k)).join(' vs ')}, step${steps.length > 1 ? 's' : ''} ${steps.join(', ')}`;
  const runs = sides.map((x, k) => `<li><strong>${escapeHtml(sideName(x, k))}</strong>: <code>${escapeHtml(x.dir)}</code>; teacher context ${escapeHtml(x.teacherContext ?? 'none')}${x.regime ? `, regime ${escapeHtml(x.regime)}` : ''}; credit: ${escapeHtml(x.creditMeaning)}</li>`);
  const how = [
    `<p class="note">Problems: ${escapeHtml(s.choice)}. Each is answered by G = ${s.samples} responses sampled as the run samples them (temperature ${s.temperature}, top-p ${s.topP}, at most ${s.maxNewTokens} tokens, sampling seed ${s.seed}), rewarded by the verifier, scored by the self-teacher under the run's teacher context and regime, and credited by a forward pass of the method's loss at the checkpoint's weights — no gradient, no optimiser step. At checkpoint step N the loss runs as training step N + 1 would (its λ schedule at N).</p>`,
    `<ul>${runs.join('')}</ul>`,
    ...(s.comparison ? [`<p class="note"><strong>Same responses, two credit rules.</strong> ${escapeHtml(s.comparison)}</p>`] : []),
    ...s.notes.map((n) => `<p class="note">Note: ${escapeHtml(n)}.</p>`),
  ];
  const sections = view.checkpoints.map((c) => [`<section id="step-${c.step}">`, `<h2>Step ${c.step}</h2>`, summaryTable(c), ...c.problems.map((p) => problemHtml(p, c, scales)), '</section>'].join('\n'));
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}${TOKEN_CSS}</style></head><body><main>`,
    `<h1>${escapeHtml(title)}</h1>`,
    ...how,
    legendHtml(sides, scales),
    ...sections,
    '</main></body></html>',
    '',
  ].join('\n');
}
