// The flags `eval` takes to evaluate a model behind an OpenAI-compatible endpoint (and MathVista's extraction judge),
// declared and checked here beside the client, as the report's and the sweep's builders keep theirs: every refusal is
// one line (`--flag …`), thrown before any request or file.
import { resolve } from 'node:path';
import type { Options } from 'yargs';
import { UsageError } from '../util/errors.ts';
import { num } from './flags.ts';
import { chatCompletionsUrl, DEFAULT_CLIENT, readApiKey, type ClientSettings, type EndpointTarget } from '../endpoint/client.ts';
import type { BenchmarkResult, EvalConfig } from '../eval.ts';
import { parseModelList, readModelsFile, type SeriesModel, type SeriesStep } from '../endpoint/series.ts';

/** Where responses are cached unless --cache or --no-cache says otherwise (shared by every --out, so re-runs reuse it). */
export const DEFAULT_CACHE_DIR = 'results/cache/endpoint';
// The default response length with --endpoint is declared with eval's --max-new-tokens (src/eval.ts).
export { ENDPOINT_MAX_NEW_TOKENS } from '../eval.ts';
export const ENDPOINT_BOUNDS = { maxNewTokens: 131_072, concurrency: 256, retries: 100, timeoutS: 86_400, retryDelayS: 60 } as const;

export const ENDPOINT_OPTIONS: Record<string, Options> = {
  endpoint: { type: 'string', describe: 'evaluate a model served by an OpenAI-compatible server at this base URL (e.g. http://127.0.0.1:8000/v1) instead of a checkpoint' },
  model: { type: 'string', describe: 'with --endpoint: the model name the server serves' },
  models: { type: 'string', describe: 'with --endpoint: a checkpoint series, comma-separated model names whose last number is the step (step-100,step-200); written for `rlsd-bench report`' },
  'models-file': { type: 'string', describe: 'with --endpoint: a checkpoint series from a file mapping step → model (JSON {"100": "name"} or lines "100 name")' },
  label: { type: 'string', defaultDescription: 'series', describe: 'with --models / --models-file: the row name of the series in the report (its folder <out>/<label>/seed-<seed>)' },
  'api-key-env': { type: 'string', describe: 'the environment variable holding the endpoint\'s API key (default: none sent — a key is never read from OPENAI_API_KEY unasked)' },
  'judge-endpoint': { type: 'string', describe: "MathVista's LLM answer extraction (extract_answer.py) at this OpenAI-compatible base URL, where the rules find no answer" },
  'judge-model': { type: 'string', describe: 'with --judge-endpoint: the judge model name' },
  'judge-api-key-env': { type: 'string', describe: "the environment variable holding the judge's API key (default: none sent)" },
  concurrency: { type: 'number', defaultDescription: String(DEFAULT_CLIENT.concurrency), describe: 'endpoint requests in flight at once' },
  timeout: { type: 'number', defaultDescription: String(DEFAULT_CLIENT.timeoutS), describe: 'seconds one endpoint request may take before it is abandoned and retried' },
  retries: { type: 'number', defaultDescription: String(DEFAULT_CLIENT.retries), describe: 'retries of an endpoint request on 429, 5xx, network errors, timeouts, malformed bodies (backoff with full jitter; Retry-After honoured, ≤ 60 s)' },
  'retry-delay': { type: 'number', defaultDescription: String(DEFAULT_CLIENT.retryDelayS), describe: 'base of the exponential backoff between retries, seconds' },
  cache: { type: 'string', defaultDescription: DEFAULT_CACHE_DIR, describe: 'folder of the endpoint response cache (--no-cache: none); a repeated run sends no request it has an answer for' },
};

export interface EndpointRun {
  /** The endpoint; for a series, `model` is the first step's (each step sets its own). */
  endpoint: EndpointTarget;
  judge?: EndpointTarget;
  client: ClientSettings;
  series: { models: SeriesModel[]; label: string } | null;
}

const MODEL_FLAGS = ['model', 'models', 'models-file', 'label', 'api-key-env'] as const;
const CLIENT_FLAGS = ['concurrency', 'timeout', 'retries', 'retry-delay', 'cache'] as const;

function text(argv: Record<string, unknown>, flag: string): string | undefined {
  const v = argv[flag];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${flag} needs a value`);
  return v.trim();
}

/** --concurrency, --timeout, --retries, --retry-delay, --cache / --no-cache (for the endpoint and the judge alike). */
export function clientSettings(argv: Record<string, unknown>): ClientSettings {
  const cache = argv['cache'] === false ? null : argv['cache'] === undefined ? DEFAULT_CACHE_DIR : text(argv, 'cache')!;
  return {
    concurrency: argv['concurrency'] === undefined ? DEFAULT_CLIENT.concurrency : num('concurrency', argv['concurrency'], { integer: true, min: 1, max: ENDPOINT_BOUNDS.concurrency }),
    timeoutS: argv['timeout'] === undefined ? DEFAULT_CLIENT.timeoutS : num('timeout', argv['timeout'], { min: 0, minExclusive: true, max: ENDPOINT_BOUNDS.timeoutS }),
    retries: argv['retries'] === undefined ? DEFAULT_CLIENT.retries : num('retries', argv['retries'], { integer: true, min: 0, max: ENDPOINT_BOUNDS.retries }),
    retryDelayS: argv['retry-delay'] === undefined ? DEFAULT_CLIENT.retryDelayS : num('retry-delay', argv['retry-delay'], { min: 0, max: ENDPOINT_BOUNDS.retryDelayS }),
    cache: cache === null ? null : resolve(cache),
  };
}

/** A target checked now (URL shape, the key's variable set), so a bad one never costs an item. */
function target(urlFlag: string, url: string, model: string, keyFlag: string, keyEnv: string | undefined): EndpointTarget {
  chatCompletionsUrl(urlFlag, url);
  readApiKey(keyFlag, keyEnv);
  return { url: url.replace(/\/+$/, ''), model, ...(keyEnv !== undefined ? { apiKeyEnv: keyEnv } : {}) };
}

/**
 * The endpoint flags of `eval`, checked; null when --endpoint is not given (the judge flags may still be, for a local
 * evaluation: see `judgeTarget`). `checkpointGiven`: whether --checkpoint was on the command line.
 */
export function readEndpointFlags(argv: Record<string, unknown>, checkpointGiven: boolean): EndpointRun | null {
  const url = text(argv, 'endpoint');
  const judge = judgeTarget(argv);
  if (url === undefined) {
    const stray = MODEL_FLAGS.find((f) => argv[f] !== undefined);
    if (stray) throw new UsageError(`--${stray} applies only with --endpoint URL (a model served by an OpenAI-compatible server)`);
    const strayClient = judge ? undefined : CLIENT_FLAGS.find((f) => argv[f] !== undefined);
    if (strayClient) throw new UsageError(`--${strayClient === 'cache' && argv['cache'] === false ? 'no-cache' : strayClient} applies only with --endpoint or --judge-endpoint (it sets how their requests are sent)`);
    return null;
  }
  if (checkpointGiven) throw new UsageError('--checkpoint and --endpoint both given: evaluate either a local checkpoint or a served model (--endpoint URL --model NAME)');
  const model = text(argv, 'model');
  const list = text(argv, 'models');
  const file = text(argv, 'models-file');
  const given = [model !== undefined && '--model', list !== undefined && '--models', file !== undefined && '--models-file'].filter(Boolean);
  if (given.length === 0) throw new UsageError('--endpoint needs --model NAME (the name the server serves, e.g. Qwen/Qwen2.5-VL-7B-Instruct), or --models / --models-file for a checkpoint series');
  if (given.length > 1) throw new UsageError(`${given.join(' and ')} both given: give one`);
  const models = list !== undefined ? parseModelList(list) : file !== undefined ? readModelsFile(file) : null;
  const label = text(argv, 'label');
  if (label !== undefined && models === null) throw new UsageError('--label names the row of a checkpoint series: it applies with --models or --models-file');
  if (label !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(label)) throw new UsageError(`--label must be a folder name of letters, digits, '.', '_' and '-' (got '${label}')`);
  return {
    endpoint: target('endpoint', url, model ?? models![0]!.model, 'api-key-env', text(argv, 'api-key-env')),
    ...(judge ? { judge } : {}),
    client: clientSettings(argv),
    series: models === null ? null : { models, label: label ?? 'series' },
  };
}

/** --judge-endpoint with --judge-model (and --judge-api-key-env), checked; undefined when not given. */
export function judgeTarget(argv: Record<string, unknown>): EndpointTarget | undefined {
  const url = text(argv, 'judge-endpoint');
  const model = text(argv, 'judge-model');
  const keyEnv = text(argv, 'judge-api-key-env');
  if (url === undefined) {
    if (model !== undefined || keyEnv !== undefined) throw new UsageError(`--${model !== undefined ? 'judge-model' : 'judge-api-key-env'} applies only with --judge-endpoint URL`);
    return undefined;
  }
  if (model === undefined) throw new UsageError('--judge-endpoint needs --judge-model NAME (the model that extracts MathVista answers)');
  return target('judge-endpoint', url, model, 'judge-api-key-env', keyEnv);
}

/** Exit code of an evaluation that finished with responses that failed for good (written as error records). */
export const INCOMPLETE_EXIT_CODE = 3;

/** The default --out of an endpoint evaluation: one folder per served model name (a series: the report's folder). */
export function defaultEndpointOut(run: EndpointRun): string {
  if (run.series) return resolve('results/series');
  return resolve('results/eval/endpoint', run.endpoint.model.replace(/[^A-Za-z0-9._-]+/g, '__'));
}

/** The fields an endpoint run adds to EvalConfig (none for a local evaluation without a judge). */
export function endpointEvalConfig(run: EndpointRun | null, judge: EndpointTarget | undefined, argv: Record<string, unknown>): Pick<EvalConfig, 'endpoint' | 'judge' | 'client'> {
  if (run) return { endpoint: run.endpoint, ...(run.judge ? { judge: run.judge } : {}), client: run.client };
  return judge ? { judge, client: clientSettings(argv) } : {};
}

/** Lines printed under eval's table: how answers were extracted, and what failed for good. */
export function extractionAndErrorLines(results: readonly BenchmarkResult[], judged: boolean): string {
  let out = '';
  if (judged) {
    for (const r of results) out += `extraction ${r.benchmark}: ${r.extraction}\n`;
  } else out += `extraction: rules (each benchmark's official rule-based extraction; MathVista's LLM step needs --judge-endpoint)\n`;
  const errors = results.filter((r) => r.errors > 0);
  for (const r of errors) out += `${r.benchmark}: ${r.errors} response${r.errors === 1 ? '' : 's'} failed after every retry — error records in samples.jsonl, left out of the metrics; rerun the same command to ask again\n`;
  return out;
}

/** The series' table: one line per step, the benchmarks' accuracy by train's in-run rule (percent) and their mean. */
export function seriesTable(steps: readonly SeriesStep[], benchmarks: readonly string[]): string {
  const pct = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '—' : (100 * x).toFixed(2));
  const head = `${'step'.padStart(7)}  ${'model'.padEnd(24)}  ${benchmarks.map((b) => b.padStart(10)).join('  ')}  ${'Avg'.padStart(7)}  errors\n`;
  const rows = steps.map((s) => {
    const errors = s.results.reduce((a, r) => a + r.errors, 0);
    return `${String(s.step).padStart(7)}  ${s.model.padEnd(24)}  ${benchmarks.map((b) => pct(s.accuracy.perBenchmark[b]).padStart(10)).join('  ')}  ${pct(s.accuracy.benchmarkMean).padStart(7)}  ${errors}\n`;
  });
  return head + rows.join('');
}
