// The self-teacher's scoring pass on the second core. WASM (and the cpu backend) run on one thread, so the
// frozen teacher can score a step's responses in a worker thread while the main thread runs the student's
// forward pass of the update; the loop blocks for the teacher's numbers only where the loss needs them. The
// worker runs the same backend and the same code (Policy.scoreGrouped), so its numbers equal the in-process
// pass bit for bit (test/train.test.ts runs a method both ways). It holds one set of weights per slot: the
// self-teacher's, and the frozen KL reference's when the method has a KL term.
import { MessageChannel, type MessagePort, parentPort, receiveMessageOnPort, Worker, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { ModelConfig } from './model/config.ts';
import type { BackendInfo } from './backend.ts';
import type { MatmulKernel } from './model/blas.ts';
import type { AttentionKernel } from './model/ops.ts';
import type { Params } from './model/params.ts';
import type { PolicyInput } from './policy.ts';
import { TeacherWorkerError } from './util/errors.ts';

/** The loop's kernels, so that the worker's numbers equal an in-process pass. */
export interface WorkerKernels {
  attention: AttentionKernel;
  /** XNNPACK or BLAS for the products. */
  matmul: MatmulKernel;
  /** With BLAS: the library's threads, a setting of the whole process, so the worker sets the main thread's. */
  blasThreads: number;
}

/** The kernels a worker needs to give the numbers of the backend `info` describes. */
export function workerKernels(info: BackendInfo): WorkerKernels {
  const matmul = info.matmulKernel ?? 'xnnpack';
  return { attention: info.attentionKernel, matmul, blasThreads: matmul === 'blas' ? (info.threadCount ?? 1) : 1 };
}

interface InitMessage {
  type: 'init';
  backend: string;
  kernels: WorkerKernels;
  model: ModelConfig;
  tokenizer: unknown;
  port: MessagePort;
  signal: SharedArrayBuffer;
}
/** Which frozen weights a pass uses: the self-teacher or the KL reference policy. */
export type WeightSlot = 'teacher' | 'reference';
interface ParamsMessage {
  type: 'params';
  slot: WeightSlot;
  weights: [string, Float32Array][];
}
interface ScoreMessage {
  type: 'score';
  id: number;
  prefixes: PolicyInput[];
  G: number;
  responses: number[][];
  temperature: number;
  full: boolean;
  slot: WeightSlot;
}
type ToWorker = InitMessage | ParamsMessage | ScoreMessage;

interface ScoreResult {
  id: number;
  logProbs?: Float32Array[];
  logits?: Float32Array[] | null;
  seconds?: number;
  error?: string;
}

export interface TeacherScores {
  logProbs: Float32Array[];
  logits: Float32Array[] | null;
  /** Seconds the worker spent scoring. */
  workerSeconds: number;
}

/** A submitted pass; `wait()` blocks the calling thread until the worker has answered. */
export interface PendingScores {
  wait(): TeacherScores;
}

/** How long the loop waits for one teacher pass before it gives up on the worker. */
const ANSWER_TIMEOUT_MS = 600_000;

export class TeacherWorker {
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    private readonly results: MessagePort,
    private readonly signal: Int32Array,
  ) {}

  /** Starts a worker on `backend` ('wasm' or 'cpu') holding a model of `model`'s shape; resolves once it is ready. */
  static async start(backend: string, kernels: WorkerKernels, model: ModelConfig, tokenizer: unknown): Promise<TeacherWorker> {
    const bootstrap = fileURLToPath(new URL('./util/ts-worker.mjs', import.meta.url));
    const worker = new Worker(bootstrap, { workerData: { module: import.meta.url } });
    const { port1, port2 } = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('error', (e) => reject(new TeacherWorkerError(`teacher worker failed to start: ${e.message}`)));
      port1.once('message', (m: { ready?: boolean; error?: string }) =>
        m.ready ? resolve() : reject(new TeacherWorkerError(`teacher worker failed to start: ${m.error ?? 'unknown error'}`)),
      );
    });
    worker.postMessage({ type: 'init', backend, kernels, model, tokenizer, port: port2, signal } satisfies InitMessage, [port2]);
    await ready;
    port1.removeAllListeners('message');
    port1.unref();
    worker.unref();
    return new TeacherWorker(worker, port1, new Int32Array(signal));
  }

  /** Sends a slot's weights (the teacher's at start, after each re-sync and after a resume; the reference's once); later passes use them. */
  setParams(params: Params, slot: WeightSlot = 'teacher'): void {
    const weights: [string, Float32Array][] = [...params].map(([k, v]) => [k, (v.dataSync() as Float32Array).slice()]);
    this.worker.postMessage({ type: 'params', slot, weights } satisfies ParamsMessage, weights.map(([, w]) => w.buffer as ArrayBuffer));
  }

  /** Starts scoring `responses` under P prefixes shared by G responses each (as Policy.scoreGrouped) with a slot's weights (default the teacher's); passes run in submission order. */
  submit(prefixes: readonly PolicyInput[], G: number, responses: readonly (readonly number[])[], opts: { temperature: number; full: boolean; slot?: WeightSlot }): PendingScores {
    if (this.closed) throw new TeacherWorkerError('teacher worker is closed');
    const id = this.nextId++;
    const msg: ScoreMessage = {
      type: 'score',
      id,
      prefixes: prefixes.map((p) => ({ patches: p.patches, context: p.context })),
      G,
      responses: responses.map((r) => [...r]),
      temperature: opts.temperature,
      full: opts.full,
      slot: opts.slot ?? 'teacher',
    };
    this.worker.postMessage(msg);
    let done: TeacherScores | null = null;
    return {
      wait: (): TeacherScores => {
        if (done) return done;
        const deadline = performance.now() + ANSWER_TIMEOUT_MS;
        for (;;) {
          // Read the signal before the port, so an answer that lands in between ends the wait below at once.
          const seen = Atomics.load(this.signal, 0);
          const got = receiveMessageOnPort(this.results);
          if (got) {
            const r = got.message as ScoreResult;
            if (r.error) throw new TeacherWorkerError(`teacher worker: ${r.error}`);
            if (r.id !== id) throw new TeacherWorkerError(`teacher worker answered pass ${r.id}, expected ${id}`);
            done = { logProbs: r.logProbs!, logits: r.logits ?? null, workerSeconds: r.seconds! };
            return done;
          }
          // A worker that died cannot answer, and its exit event cannot reach a thread blocked here.
          if (performance.now() > deadline) throw new TeacherWorkerError(`teacher worker gave no answer in ${ANSWER_TIMEOUT_MS / 1000} s (use --no-teacher-worker)`);
          // Sleeps until the worker bumps the signal (or 50 ms pass, then checks the port again).
          Atomics.wait(this.signal, 0, seen, 50);
        }
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.results.close();
    await this.worker.terminate();
  }
}

// ---- the worker side ----
async function serve(): Promise<void> {
  const { initBackend, parseBackendName } = await import('./backend.ts');
  const { Policy } = await import('./policy.ts');
  const { Tokenizer } = await import('./tokenizer.ts');
  const { paramsFromWeights } = await import('./checkpoint.ts');
  const { assignParams, disposeParams } = await import('./model/params.ts');
  let model: ModelConfig | null = null;
  let tokenizer: InstanceType<typeof Tokenizer> | null = null;
  // Made from the first weights sent (no initial draw to overwrite); each slot's weights are updated in place.
  let policy: InstanceType<typeof Policy> | null = null;
  const slots = new Map<WeightSlot, Params>();
  let port: MessagePort | null = null;
  let signal: Int32Array | null = null;
  const answer = (r: ScoreResult): void => {
    port!.postMessage(r);
    Atomics.add(signal!, 0, 1);
    Atomics.notify(signal!, 0);
  };
  // One message at a time, in order (init is asynchronous; a pass must not start before it is done). A failure
  // outside a pass (e.g. loading weights) is kept and given as the answer to every later pass, so the loop
  // hears of it at once instead of waiting out its timeout.
  let failure: string | null = null;
  // An exception outside the queue would end the thread silently for a loop blocked on the signal: answer it.
  process.on('uncaughtException', (e) => {
    failure ??= `teacher worker crashed: ${e.message}`;
    if (port && signal) answer({ id: -1, error: failure });
  });
  let queue: Promise<void> = Promise.resolve();
  parentPort!.on('message', (m: ToWorker) => {
    queue = queue.then(() => handle(m)).catch((e: unknown) => {
      failure ??= (e as Error).message ?? String(e);
    });
  });
  const handle = async (m: ToWorker): Promise<void> => {
    if (m.type === 'init') {
      port = m.port;
      signal = new Int32Array(m.signal);
      try {
        await initBackend(parseBackendName(m.backend), m.kernels.attention, m.kernels.matmul === 'blas' ? m.kernels.blasThreads : 1, m.kernels.matmul);
        model = m.model;
        tokenizer = Tokenizer.fromJSON(m.tokenizer);
        port.postMessage({ ready: true });
      } catch (e) {
        port.postMessage({ error: (e as Error).message });
      }
    } else if (m.type === 'params') {
      const loaded = paramsFromWeights(model!, new Map(m.weights));
      const held = slots.get(m.slot);
      if (held) {
        assignParams(held, loaded);
        disposeParams(loaded);
      } else {
        slots.set(m.slot, loaded);
        policy ??= new Policy(model!, loaded, tokenizer!);
      }
    } else {
      const t0 = performance.now();
      try {
        if (failure) throw new Error(failure);
        const params = slots.get(m.slot);
        if (!policy || !params) throw new Error(`no ${m.slot} weights received before the first pass`);
        const s = policy.scoreGrouped(m.prefixes, m.G, m.responses, { params, temperature: m.temperature, full: m.full });
        answer({ id: m.id, logProbs: s.logProbs, logits: s.logits, seconds: (performance.now() - t0) / 1000 });
      } catch (e) {
        answer({ id: m.id, error: (e as Error).message });
      }
    }
  };
}

if (parentPort && (workerData as { module?: string } | null)?.module === import.meta.url) await serve();
