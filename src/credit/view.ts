// Where the credit went, token by token, at a checkpoint of a run (`rlsd-bench credit`, docs/cli.md): K held-out
// problems of the deep world, the group of G responses the run's method would sample for each, the verifier's
// rewards, the self-teacher's pass under the run's teacher context and regime, and each token's credit from a forward
// pass of the method's loss (src/train/update.ts lossForward) — the training loop's own phases, without a gradient or
// an optimiser step. Each response is held against its step-level truth (benchmarks/mini/deep/truth.ts).
//
// With a second run (B), B's credit is of the same responses: sampled once by A's policy, then scored by B's
// checkpoint at the same step under B's method (its student log-probs, its teacher, its schedule at that step). When
// both runs start from one base this is the fair view: at step 0 both policies are that base, and later B's column
// shows how B's rule would credit A's responses (off-policy for B).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getBenchmark, MINI_BENCHMARKS } from '../../benchmarks/index.ts';
import { getMethod, resolveMethodConfig } from '../../methods/index.ts';
import { summariseCredit, type CreditResponse } from '../../methods/credit.ts';
import { formatTeacherRegime, type TeacherRegime } from '../../methods/teacher-regime.ts';
import type { Method, MethodConfig } from '../../methods/types.ts';
import { checkCheckpoint, checkpointSuite, loadCheckpoint } from '../checkpoint.ts';
import { disposeParams } from '../model/params.ts';
import { Policy } from '../policy.ts';
import { stepDirName } from '../run-dir.ts';
import { loadMiniTasks, type Task } from '../tasks.ts';
import { DEFAULT_TRAIN, type TrainConfig } from '../train/config.ts';
import { reward } from '../train/reward.ts';
import { laidOutRollout, rollout, type Rollout } from '../train/rollout.ts';
import { referencePass, teacherPass } from '../train/teacher.ts';
import { teacherRegimeOf, TeacherWeights } from '../train/teacher-weights.ts';
import type { RunContext, StepMetrics } from '../train/types.ts';
import { lossForward } from '../train/update.ts';
import { responseView, type ResponseView, type SideScores } from './records.ts';
import { UsageError } from '../util/errors.ts';
import { hashString, Rng } from '../util/rng.ts';

/** Most problems a view takes (--items): each is G responses in the page, its image and its PNG. */
export const CREDIT_MAX_ITEMS = 64;

/** A run folder as the credit view reads it (run.json and its checkpoints). */
export interface RunFolder {
  dir: string;
  /** The run's resolved config (run.json `config`), over today's defaults for fields it predates. */
  cfg: TrainConfig;
  method: Method;
  mcfg: MethodConfig;
  regime: TeacherRegime | null;
  /** Steps with a checkpoint, ascending. */
  steps: number[];
  /** The base's weights hash as run.json records it (undefined for a record without one). */
  baseSha?: string;
  basePath?: string;
}

const isObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

/** Reads and checks a run folder for a credit view: one line naming what is wrong, as a UsageError. */
export function openRun(path: string): RunFolder {
  const dir = resolve(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${path}: no such folder (give a run folder, what train --out writes)`);
  const runFile = join(dir, 'run.json');
  if (!existsSync(runFile)) throw new UsageError(`${path} is not a run folder: it has no run.json (give what train --out writes)`);
  let record: unknown;
  try {
    record = JSON.parse(readFileSync(runFile, 'utf8'));
  } catch (e) {
    throw new UsageError(`${runFile}: not JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const config = isObject(record) ? record['config'] : undefined;
  if (!isObject(config) || typeof config['method'] !== 'string') throw new UsageError(`${runFile}: no config.method — not a training run's record`);
  const ckDir = join(dir, 'checkpoints');
  const steps = existsSync(ckDir)
    ? readdirSync(ckDir)
        .filter((n) => /^step_\d+$/.test(n) && existsSync(join(ckDir, n, 'checkpoint.json')))
        .map((n) => Number(n.slice(5)))
        .sort((a, b) => a - b)
    : [];
  if (steps.length === 0) throw new UsageError(`${path} has no checkpoint (no checkpoints/step_N/checkpoint.json)`);
  const suite = typeof config['suite'] === 'string' ? config['suite'] : checkpointSuite(checkCheckpoint(join(ckDir, stepDirName(steps.at(-1)!))).info);
  if (suite !== 'mini-2')
    throw new UsageError(`${path} is a run on the mini suite '${suite}', which has no step-level ground truth: credit views need the deep world's (a run from a mini-2 base, such as the committed results/reference/base)`);
  let method: Method;
  try {
    method = getMethod(config['method']);
  } catch (e) {
    throw new UsageError(`${runFile}: ${(e as Error).message}`);
  }
  if (!method.trains) throw new UsageError(`${path} is a '${method.name}' run, which makes no update: it has no credit to show`);
  // The recorded (resolved) options; an option the method no longer has is left out, one it has since gained takes its default.
  const recorded = isObject(config['methodConfig']) ? config['methodConfig'] : isObject(config['methodOptions']) ? config['methodOptions'] : {};
  const known = Object.fromEntries(Object.entries(recorded).filter(([k, v]) => k in method.defaults && ['string', 'number', 'boolean'].includes(typeof v))) as Record<string, string | number | boolean>;
  let mcfg: MethodConfig;
  try {
    mcfg = resolveMethodConfig(method, known);
  } catch (e) {
    throw new UsageError(`${runFile}: ${(e as Error).message}`);
  }
  const cfg = { ...DEFAULT_TRAIN, ...config, suite: 'mini-2' } as TrainConfig;
  for (const [field, ok] of [
    ['samplesPerPrompt', (v: number) => Number.isInteger(v) && v >= 1],
    ['promptsPerStep', (v: number) => Number.isInteger(v) && v >= 1],
    ['maxNewTokens', (v: number) => Number.isInteger(v) && v >= 1],
    ['temperature', (v: number) => v > 0],
    ['topP', (v: number) => v > 0 && v <= 1],
    ['dataSeed', (v: number) => Number.isInteger(v) && v >= 0],
  ] as const)
    if (typeof cfg[field] !== 'number' || !ok(cfg[field])) throw new UsageError(`${runFile}: config.${field} is ${JSON.stringify(cfg[field])}, not a valid setting`);
  const base = isObject(record) && isObject(record['base']) ? record['base'] : {};
  return {
    dir,
    cfg,
    method,
    mcfg,
    regime: teacherRegimeOf(method, mcfg),
    steps,
    ...(typeof base['weightsSha256'] === 'string' ? { baseSha: base['weightsSha256'] } : {}),
    ...(typeof base['path'] === 'string' ? { basePath: base['path'] } : {}),
  };
}

/** --step: a step, a comma-separated list of steps, or 'all'; default the run's latest checkpoint. Each must have a checkpoint. */
export function parseSteps(raw: string | undefined, run: RunFolder, flag = 'step'): number[] {
  if (raw === undefined || raw.trim() === '') return [run.steps.at(-1)!];
  if (raw.trim() === 'all') return [...run.steps];
  const steps: number[] = [];
  for (const part of raw.split(',')) {
    const t = part.trim();
    if (!/^\d+$/.test(t)) throw new UsageError(`--${flag} must be a step, a list of steps (0,25,50) or 'all' (got '${raw}')`);
    const s = Number(t);
    if (!run.steps.includes(s)) throw new UsageError(`${run.dir} has no checkpoint at step ${s} (its checkpoints: ${run.steps.join(', ')})`);
    if (!steps.includes(s)) steps.push(s);
  }
  return steps.sort((a, b) => a - b);
}

export type { ResponseView, SideScores, SpanKind } from './records.ts';

export interface ProblemView {
  uid: string;
  benchmark: string;
  prompt: string;
  answer: string;
  /** The problem's picture as a PNG data URI, enlarged 4× without smoothing (null when it has none). */
  image: string | null;
  responses: ResponseView[];
}

/** How one run was read at one step. */
export interface SideInfo {
  dir: string;
  method: string;
  label: string;
  colour?: string;
  /** The method's credit in its own terms (Method.creditMeaning). */
  creditMeaning: string;
  teacherContext: string | null;
  regime: string | null;
  /** The method's metrics of the loss's forward pass, averaged over the batches of the view. */
  lossMetrics: StepMetrics;
  /** The credit metrics of methods/credit.ts over this view's responses (responses whose credit is all 0 left out). */
  summary: ReturnType<typeof summariseCredit>;
}

export interface CheckpointView {
  step: number;
  sides: SideInfo[];
  problems: ProblemView[];
}

export interface CreditSettings {
  run: string;
  runB: string | null;
  items: number;
  seed: number;
  /** The rule the problems were chosen by, as a sentence. */
  choice: string;
  samples: number;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  /** What B's column shows, as a sentence (null without B). */
  comparison: string | null;
  /** Said when the view is not what it claims to be at face value (another base for B, a shuffled-rewards control). */
  notes: string[];
}

export interface CreditView {
  settings: CreditSettings;
  checkpoints: CheckpointView[];
}

/** The problems of a view: a seeded shuffle of each benchmark's first K test problems, the benchmarks taken in turn. */
export function chooseProblems(pool: readonly Task[], items: number, seed: number): Task[] {
  const lists = MINI_BENCHMARKS.map((b) => new Rng(hashString(`credit-items|${seed}|${b}`)).shuffle(pool.filter((t) => t.benchmark === b)));
  const out: Task[] = [];
  for (let round = 0; out.length < items && lists.some((l) => l.length > round); round++)
    for (const l of lists) if (out.length < items && round < l.length) out.push(l[round]!);
  return out;
}

/** A task's first picture as a PNG data URI, 4× larger with nearest-neighbour scaling (the mini pictures are 32 pixels). */
async function pictureOf(task: Task): Promise<string | null> {
  const image = getBenchmark(task.benchmark).prompt(task.item).images[0];
  if (!image) return null;
  const { default: sharp } = await import('sharp');
  const pipeline = sharp(image.bytes);
  const { width } = await pipeline.metadata();
  const png = await pipeline.resize({ width: Math.min(4 * (width ?? 32), 256), kernel: 'nearest' }).png().toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** The passes of one run at one checkpoint, with its weights (and its teacher's, under a regime that keeps a copy). */
export type Side = Pick<RunContext, 'cfg' | 'method' | 'mcfg' | 'policy' | 'teacher' | 'reference' | 'worker' | 'warned'>;

/** A run at one of its checkpoints, ready for the training loop's passes (its teacher restored under its regime). */
export function loadRunAt(run: RunFolder, step: number): { side: Side; dispose(): void } {
  const dir = join(run.dir, 'checkpoints', stepDirName(step));
  const { policy } = Policy.load(dir);
  const disposers: (() => void)[] = [() => policy.dispose()];
  try {
    let teacher: TeacherWeights | null = null;
    if (run.regime) {
      teacher = new TeacherWeights(run.regime, policy);
      disposers.push(() => teacher!.dispose());
      if (run.regime.kind !== 'live') {
        const saved = new Map<string, Float32Array>();
        for (const [k, x] of loadCheckpoint(dir).trainer ?? []) if (k.startsWith('teacher/')) saved.set(k.slice(8), x);
        if (saved.size === 0) throw new UsageError(`${dir} holds no copy of the self-teacher (teacher/* tensors), which its '${formatTeacherRegime(run.regime)}' regime keeps`);
        teacher.restore(saved);
      }
    }
    let reference = null;
    if (run.method.needsReference(run.mcfg)) {
      if (!run.basePath || !existsSync(run.basePath)) throw new UsageError(`${run.dir}: the KL reference is the run's base, ${run.basePath ?? '(not recorded)'}, which is not there`);
      reference = Policy.load(run.basePath).policy.params;
      const params = reference;
      disposers.push(() => disposeParams(params));
    }
    return { side: { cfg: run.cfg, method: run.method, mcfg: run.mcfg, policy, teacher, reference, worker: null, warned: new Set() }, dispose: () => disposers.reverse().forEach((d) => d()) };
  } catch (e) {
    disposers.reverse().forEach((d) => d());
    throw e;
  }
}

/** One run's per-response scores of a batch, and its loss's metrics: the teacher pass, the reference pass, the loss's forward pass. */
function scoreBatch(side: Side, ro: Rollout, rewards: Float32Array, step: number): { scores: SideScores[]; metrics: StepMetrics } {
  const scratch: StepMetrics = {};
  const teacher = teacherPass(side, ro, rewards, step, scratch);
  const reference = referencePass(side, ro, scratch);
  const lf = lossForward(side, ro, rewards, teacher, reference, step);
  const teacherLp = teacher?.scores.get().logProbs;
  const { R } = ro;
  const scores = ro.responses.map((ids, b): SideScores => {
    const n = ids.length;
    const at = (src: Float32Array): Float32Array => src.slice(b * R, b * R + n);
    const scored = teacher && teacherLp && teacher.available[b]! > 0;
    return {
      reward: rewards[b]!,
      delta: scored ? Float64Array.from({ length: n }, (_, t) => teacherLp[b * R + t]! - lf.logProbs[b * R + t]!) : null,
      weight: lf.creditWeight ? at(lf.creditWeight) : null,
      credit: lf.credit ? at(lf.credit) : new Float32Array(n),
    };
  });
  return { scores, metrics: { ...lf.metrics, ...(scratch['teacher/pass_fraction'] !== undefined ? { 'teacher/pass_fraction': scratch['teacher/pass_fraction'] } : {}) } };
}

/** Checks that run B can score run A's responses: the same model and tokenizer; says what its column then shows. */
function comparison(a: RunFolder, b: RunFolder, steps: readonly number[]): { sentence: string; notes: string[] } {
  for (const s of steps) if (!b.steps.includes(s)) throw new UsageError(`--method-b ${b.dir} has no checkpoint at step ${s} (its checkpoints: ${b.steps.join(', ')})`);
  const metaA = checkCheckpoint(join(a.dir, 'checkpoints', stepDirName(steps[0]!)));
  const metaB = checkCheckpoint(join(b.dir, 'checkpoints', stepDirName(steps[0]!)));
  if (JSON.stringify(metaA.model) !== JSON.stringify(metaB.model) || JSON.stringify(metaA.tokenizer) !== JSON.stringify(metaB.tokenizer))
    throw new UsageError(`--method-b ${b.dir}: its model or tokenizer differs from ${a.dir}'s, so it cannot score the same responses`);
  const notes: string[] = [];
  if (a.baseSha && b.baseSha && a.baseSha !== b.baseSha)
    notes.push(`the two runs start from different bases (weights ${a.baseSha.slice(0, 12)}… and ${b.baseSha.slice(0, 12)}…): even at step 0, B scores responses another policy sampled`);
  if (b.cfg.samplesPerPrompt !== a.cfg.samplesPerPrompt)
    notes.push(`B's run samples G = ${b.cfg.samplesPerPrompt}; here its method sees A's groups of ${a.cfg.samplesPerPrompt}`);
  return {
    sentence:
      `Both columns show the same responses, sampled once by A's policy at each step; B's column scores them with B's checkpoint at the same step under B's method ` +
      `(its own student log-probs, teacher and schedule). With a shared base this compares the two credit rules on one set of responses ` +
      `(at step 0 both policies are the base); later, B's view is of responses its own policy did not sample.`,
    notes,
  };
}

export interface CreditRequest {
  run: RunFolder;
  runB: RunFolder | null;
  steps: number[];
  items: number;
  seed: number;
  /** Called before each checkpoint is read. */
  onStep?: (step: number, index: number) => void;
}

/** Refuses a request the view cannot honour (before any tensor work): --items out of range, a run B that cannot score A's responses. */
export function checkCreditRequest(req: Pick<CreditRequest, 'run' | 'runB' | 'steps' | 'items'>): { sentence: string; notes: string[] } | null {
  if (!Number.isInteger(req.items) || req.items < 1 || req.items > CREDIT_MAX_ITEMS) throw new UsageError(`--items must be a whole number from 1 to ${CREDIT_MAX_ITEMS} (got ${req.items})`);
  return req.runB ? comparison(req.run, req.runB, req.steps) : null;
}

/** Computes the view at every requested checkpoint. Leaves no tensor behind. */
export async function creditView(req: CreditRequest): Promise<CreditView> {
  const { run: a, runB: b, steps, items, seed } = req;
  const cmp = checkCreditRequest(req);
  const notes = [...(cmp?.notes ?? [])];
  if (a.cfg.shuffleRewards) notes.push("A is a shuffled-rewards control: its method sees the verifier's rewards permuted within each batch, as in training");
  if (b?.cfg.shuffleRewards) notes.push("B is a shuffled-rewards control: its method sees the verifier's rewards permuted within each batch, as in training");
  if (a.cfg.ppoMiniBatch > 0 && a.cfg.ppoMiniBatch < a.cfg.promptsPerStep)
    notes.push(`A updates in mini-batches of ${a.cfg.ppoMiniBatch} prompts; the credit shown is at the checkpoint's weights, as its first mini-batch sees it`);
  const G = a.cfg.samplesPerPrompt;
  const checkpoints: CheckpointView[] = [];
  let tasks: Task[] | null = null;
  for (const [i, step] of steps.entries()) {
    req.onStep?.(step, i);
    const sideA = loadRunAt(a, step);
    let sideB: ReturnType<typeof loadRunAt> | null = null;
    try {
      sideB = b ? loadRunAt(b, step) : null;
      // The problems once, with the first checkpoint's policy (every checkpoint of a run shares the model's layout).
      tasks ??= chooseProblems(await loadMiniTasks(sideA.side.policy, { split: 'test', perBenchmark: items, seed: a.cfg.dataSeed, reserve: a.cfg.maxNewTokens, suite: 'mini-2' }), items, seed);
      // The same sampling seed at every step, so that a series differs by the checkpoint alone.
      const rng = new Rng(hashString(`credit|${seed}`));
      const rngB = new Rng(hashString(`credit-b|${seed}`));
      const problems: ProblemView[] = [];
      const metricSums: StepMetrics[] = [{}, {}];
      let batches = 0;
      for (let first = 0; first < tasks.length; first += a.cfg.promptsPerStep) {
        const chunk = tasks.slice(first, first + a.cfg.promptsPerStep);
        const ro = rollout(sideA.side, chunk, rng);
        const rw = reward(ro, a.cfg.shuffleRewards ? rng : null);
        const perSide = [scoreBatch(sideA.side, ro, rw.rewards, step)];
        if (sideB) {
          const own = sideB.side.policy.scoreGrouped(ro.promptInputs, G, ro.responses, { temperature: sideB.side.cfg.temperature, full: false }).logProbs;
          const roB = laidOutRollout(sideB.side, chunk, G, ro.responses, own);
          perSide.push(scoreBatch(sideB.side, roB, reward(roB, sideB.side.cfg.shuffleRewards ? rngB : null).rewards, step));
        }
        perSide.forEach((s, k) => {
          for (const [m, v] of Object.entries(s.metrics)) metricSums[k]![m] = (metricSums[k]![m] ?? 0) + v;
        });
        batches++;
        chunk.forEach((task, g) => {
          const responses: ResponseView[] = [];
          for (let j = 0; j < G; j++) {
            const bIdx = g * G + j;
            const ids = ro.responses[bIdx]!;
            responses.push(responseView(task, ids, ro.texts[bIdx]!, sideA.side.policy.tokenizer, j, rw.verdicts[bIdx]!, perSide.map((s) => s.scores[bIdx]!)));
          }
          problems.push({ uid: task.uid, benchmark: task.benchmark, prompt: task.prompt, answer: task.item.answer, image: null, responses });
        });
      }
      for (const p of problems) p.image = await pictureOf(tasks.find((t) => t.uid === p.uid)!);
      const sides: SideInfo[] = [a, ...(b ? [b] : [])].map((r, k) => {
        const views: CreditResponse[] = problems.flatMap((p) =>
          p.responses
            .filter((resp) => resp.sides[k]!.credit.some((c) => c !== 0))
            .map((resp) => ({ correct: resp.verdict >= 1, reasoning: resp.reasoning, firstWrong: resp.error?.inReasoning ? resp.firstWrong : null, filler: resp.filler, credit: resp.sides[k]!.credit })),
        );
        const context = r.method.teacherContext(r.mcfg);
        return {
          dir: r.dir,
          method: r.method.name,
          label: r.method.label,
          ...(r.method.colour ? { colour: r.method.colour } : {}),
          creditMeaning: r.method.creditMeaning?.(r.mcfg) ?? 'the per-token multiplier of its loss (MethodOutput.credit)',
          teacherContext: context,
          regime: r.regime ? formatTeacherRegime(r.regime) : null,
          lossMetrics: Object.fromEntries(Object.entries(metricSums[k]!).map(([m, v]) => [m, v / batches])),
          summary: summariseCredit(views),
        };
      });
      checkpoints.push({ step, sides, problems });
    } finally {
      sideB?.dispose();
      sideA.dispose();
    }
  }
  return {
    settings: {
      run: a.dir,
      runB: b?.dir ?? null,
      items,
      seed,
      choice: `${items} test-split problem${items === 1 ? '' : 's'} of the deep world (data seed ${a.cfg.dataSeed}): each benchmark's first ${items} test problems shuffled with seed ${seed}, the benchmarks taken in turn (${MINI_BENCHMARKS.join(', ')}); the same problems and sampling seed at every step`,
      samples: G,
      temperature: a.cfg.temperature,
      topP: a.cfg.topP,
      maxNewTokens: a.cfg.maxNewTokens,
      comparison: cmp?.sentence ?? null,
      notes,
    },
    checkpoints,
  };
}
