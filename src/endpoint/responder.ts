// The endpoint side of src/eval.ts's Responder: each unfinished (item, sample) becomes one chat-completions request
// (n = 1, so each sample is cached and retried on its own; `seed` is the unit's own, as the local path's random
// stream), sent `--concurrency` at a time. Records are handed back in work order, so samples.jsonl reads the same
// whatever order the server answered in. A request out of retries becomes an error record for its unit.
//
// Also here: the scorer the shared loop uses, which adds MathVista's LLM extraction when a judge is configured.
import { resolve } from 'node:path';
import type { BenchItem, ItemRecord } from '../../benchmarks/common/types.ts';
import type { BenchmarkModule } from '../../benchmarks/index.ts';
import type { MathVistaItem } from '../../benchmarks/mathvista/index.ts';
import type { EvalConfig, Responder, Scorer } from '../eval-types.ts';
import { hashString } from '../util/rng.ts';
import { ResponseCache } from './cache.ts';
import { DEFAULT_CLIENT, EndpointClient, EndpointError, EndpointRequestError, readApiKey, runPool, type ClientSettings, type ClientStats, type EndpointTarget } from './client.ts';
import { scoreWithJudge } from './mathvista-judge.ts';
import { chatRequestMessages } from './protocol.ts';

/** The seed sent with a unit's request: one per (seed, benchmark, item, sample), as sampleRng keys the local stream. */
export function unitSeed(seed: number, benchmark: string, itemId: string, sample: number): number {
  return hashString(`eval-sample|${seed}|${benchmark}|${itemId}|${sample}`);
}

/** The record of a response that failed for good: visible in samples.jsonl, never scored, redone by the next run. */
export function errorRecord(item: BenchItem, response: string | null, error: string): ItemRecord {
  return { id: item.id, response: response as string, extracted: null, gold: item.answer, correct: false, extractor: 'error', error };
}

function clientFor(target: EndpointTarget, settings: ClientSettings, keyFlag: string): EndpointClient {
  const cache = settings.cache === null ? null : new ResponseCache(resolve(settings.cache));
  return new EndpointClient(target, settings, cache, readApiKey(keyFlag, target.apiKeyEnv));
}

/** A client's traffic in one line (stderr at the end of an evaluation). */
export function trafficLine(what: string, c: EndpointClient): string {
  const s: ClientStats = c.stats;
  return `${what} ${c.target.url} model ${c.target.model}: ${s.requests} request${s.requests === 1 ? '' : 's'} sent (${s.retries} retr${s.retries === 1 ? 'y' : 'ies'}), ${s.cached} answered from the cache, ${s.failed} failed for good`;
}

/**
 * Units in a row that may fail for good before the evaluation stops: a server that is down (or fails every request)
 * would otherwise cost every remaining item its full round of retries. The error records written so far stay.
 */
export function failuresToStop(concurrency: number): number {
  return Math.max(8, 2 * concurrency);
}

export function endpointResponder(target: EndpointTarget, settings: ClientSettings = DEFAULT_CLIENT): Responder {
  const client = clientFor(target, settings, 'api-key-env');
  const stopAt = failuresToStop(settings.concurrency);
  let failedInARow = 0;
  let lastFailure: EndpointRequestError | null = null;
  return {
    async prepare(cfg) {
      // Before anything is written: the weights the server names join the folder's identity (and key the cache).
      // The response length the server takes is the one recorded (eval.json, results.json) and sent.
      const served = await client.open();
      const capped = { ...cfg, maxNewTokens: client.maxTokensFor(cfg.maxNewTokens) };
      return served.fingerprint === null || !cfg.endpoint ? capped : { ...capped, endpoint: { ...cfg.endpoint, fingerprint: served.fingerprint } };
    },
    promptStats: () => ({ unknownWords: 0, truncatedPrompts: 0 }),
    async respond({ name, work, isDone, score, deliver, bench }, cfg: EvalConfig) {
      const pending = work.filter((w) => !isDone(w));
      const finished = new Map<number, ItemRecord>();
      let next = 0;
      const flush = (): void => {
        for (let r = finished.get(next); r !== undefined; r = finished.get(next)) {
          finished.delete(next);
          deliver(pending[next]!, r);
          next++;
        }
      };
      await runPool(pending, settings.concurrency, async (unit, i) => {
        let record: ItemRecord;
        try {
          // Built per request, not kept per item: a benchmark's images as base64 would otherwise all sit in memory.
          const c = await client.complete(
            {
              model: target.model,
              messages: chatRequestMessages(bench.prompt(unit.item)),
              temperature: cfg.temperature,
              top_p: cfg.topP,
              max_tokens: cfg.maxNewTokens,
              n: 1,
              seed: unitSeed(cfg.seed, name, unit.item.id, unit.sample),
            },
            { sample: unit.sample },
          );
          failedInARow = 0;
          record = await score(unit.item, c.text);
        } catch (e) {
          if (!(e instanceof EndpointRequestError)) throw e;
          record = errorRecord(unit.item, null, e.message);
          lastFailure = e;
          failedInARow++;
        }
        finished.set(i, record);
        flush();
        if (failedInARow >= stopAt)
          throw new EndpointError(
            lastFailure?.kind === 'refused'
              ? `stopped: ${client.url.origin} refused the last ${failedInARow} requests (last: ${String(record['error'])}); asking again meets the same refusal unless the server or the settings change; the records so far are kept`
              : `stopped: the last ${failedInARow} requests to ${client.url.origin} failed after every retry (last: ${String(record['error'])}); the records so far are kept — rerun the same command when the server answers`,
          );
      });
    },
    describe: () => ({ endpoint: { url: target.url, model: target.model, chatCompletions: client.url.href, trafficThisRun: { ...client.stats } } }),
    summary: () => trafficLine('endpoint', client),
    dispose: () => {},
  };
}

/** The judge (when configured) and, per benchmark, the scorer and the name of its extraction. */
export interface JudgeSetup {
  target: EndpointTarget;
  settings: ClientSettings | undefined;
}

export interface BenchmarkScorer {
  score: Scorer;
  /** 'rules', or 'judge (…)' for MathVista with a judge (results.json `extraction`). */
  extraction: string;
}

export interface ScorerFactory {
  forBenchmark(name: string, bench: BenchmarkModule): BenchmarkScorer;
  /** The judge's traffic line, or null without a judge. */
  summary(): string | null;
}

/**
 * The benchmark's own scorer (rule extraction), except MathVista with a judge: rules first, the judge where they give
 * no answer. MMMU, MathVision, WeMath and ZeroBench keep their rules — their official scorers have no LLM step.
 */
export function scorers(judge: JudgeSetup | null): ScorerFactory {
  const client = judge ? clientFor(judge.target, judge.settings ?? DEFAULT_CLIENT, 'judge-api-key-env') : null;
  return {
    forBenchmark(name, bench) {
      const score: Scorer = async (item, response) => bench.score(item, response);
      if (client === null) return { score, extraction: 'rules' };
      if (name !== 'mathvista') return { score, extraction: 'rules (its official scorer has no LLM step; the judge is for MathVista)' };
      return {
        extraction: `judge ${client.target.model} at ${client.target.url} where MathVista's rules find no answer (extract_answer.py)`,
        score: async (item, response) => {
          try {
            return await scoreWithJudge(client, item as MathVistaItem, response);
          } catch (e) {
            if (!(e instanceof EndpointRequestError)) throw e;
            // The response is kept (and cached): the next run asks only the judge again.
            return errorRecord(item, response, `judge: ${e.message}`);
          }
        },
      };
    },
    summary: () => (client ? trafficLine('judge', client) : null),
  };
}
