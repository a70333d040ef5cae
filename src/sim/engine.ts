/**
 * The step engine: continuous batching with chunked prefill over a paged prefix KV cache, as vLLM V1 schedules
 * (sim-model.md §1 and §4). Each step:
 *   1. running requests first, in admission order: one decode token each, or the next chunk of a prefill;
 *      a request that needs a KV block and finds none preempts the most recently admitted running request;
 *   2. then waiting requests FCFS while the batch has room (`maxNumSeqs`), the token budget has room
 *      (`maxNumBatchedTokens`, the last prefill is chunked to fit) and the prompt's blocks can be allocated;
 *   3. the step lasts `stepTimeMs` of what it scheduled; at its end every request whose KV caught up with its
 *      tokens samples one token.
 * So TTFT is queueing plus the steps that carried the prompt, and ITL is the duration of the shared step.
 */
import type { Random } from '../core/prng.js';
import type {
  EngineLoad,
  EngineRequest,
  EngineRequestSpec,
  FinishReason,
  SimEngine,
  TokenSink,
} from './engine-types.js';
import { chainHash, KvCache } from './kv-cache.js';
import type { StepParams } from './profiles.js';
import { Recorder } from './recorder.js';
import { coefficients, lognormalFactor, type StepCoefficients, stepTimeMs } from './step-model.js';

type State = 'pending' | 'waiting' | 'running' | 'done';

class Req implements EngineRequest {
  readonly tokens: number[];
  readonly hashes: number[] = [];
  blocks: number[] = [];
  /** Tokens whose KV is computed. */
  computed = 0;
  /** Leading blocks whose hash is registered in the cache. */
  registered = 0;
  generated = 0;
  cachedTokens = 0;
  firstTokenAt: number | undefined;
  lastTokenAt = 0;
  preemptions = 0;
  admittedOnce = false;
  state: State = 'pending';

  constructor(
    readonly id: number,
    readonly spec: EngineRequestSpec,
    readonly sink: TokenSink,
    readonly arrival: number,
    readonly readyAt: number,
  ) {
    this.tokens = spec.promptTokens.slice();
  }

  get promptLength(): number {
    return this.spec.promptTokens.length;
  }
}

interface Scheduled {
  req: Req;
  n: number;
}

interface Step {
  start: number;
  end: number;
  batch: Scheduled[];
}

/** Options of `StepEngine`. */
export interface StepEngineOptions {
  /** Randomness for step-time noise (only used when `params.noiseSigma` > 0). Default Math.random. */
  random?: Random;
}

/** The step-level engine model. */
export class StepEngine implements SimEngine {
  readonly recorder = new Recorder();
  private readonly coef: StepCoefficients;
  private readonly cache: KvCache;
  private readonly random: Random;
  private readonly pending: Req[] = [];
  private waiting: Req[] = [];
  private running: Req[] = [];
  private step: Step | undefined;
  private nextId = 1;
  private clock = 0;

  constructor(
    readonly params: StepParams,
    options: StepEngineOptions = {},
  ) {
    this.coef = coefficients(params);
    this.cache = new KvCache(Math.floor(params.kvCapacityTokens / params.blockSize));
    this.random = options.random ?? Math.random;
  }

  get now(): number {
    return this.clock;
  }

  submit(spec: EngineRequestSpec, sink: TokenSink, arrival = this.clock): EngineRequest {
    const p = this.params;
    const n = spec.promptTokens.length;
    if (n < 1) throw new RangeError('the prompt is empty');
    if (n + spec.outputTokens > p.maxModelLen) {
      throw new RangeError(
        `This model's maximum context length is ${p.maxModelLen} tokens. However, you requested ` +
          `${n + spec.outputTokens} tokens (${n} in the messages, ${spec.outputTokens} in the completion).`,
      );
    }
    if (Math.ceil((n + spec.outputTokens) / p.blockSize) > this.cache.numBlocks) {
      throw new RangeError(
        `the request needs more KV cache than the engine has (${p.kvCapacityTokens} tokens)`,
      );
    }
    const req = new Req(this.nextId++, spec, sink, arrival, arrival + p.tApiMs);
    // Keep `pending` sorted by readyAt (arrivals passed in by a server are not strictly in order).
    let i = this.pending.length;
    while (i > 0 && this.pending[i - 1]!.readyAt > req.readyAt) i--;
    this.pending.splice(i, 0, req);
    return req;
  }

  cancel(handle: EngineRequest): void {
    const req = handle as Req;
    if (req.state === 'done') return;
    if (req.state === 'pending') this.pending.splice(this.pending.indexOf(req), 1);
    else if (req.state === 'waiting') this.waiting.splice(this.waiting.indexOf(req), 1);
    else if (req.state === 'running') {
      this.cache.release(req.blocks);
      req.blocks = [];
      this.running.splice(this.running.indexOf(req), 1);
    }
    req.state = 'done';
    this.recorder.finished.abort = (this.recorder.finished.abort ?? 0) + 1;
  }

  nextEventAt(): number | undefined {
    if (this.step) return this.step.end;
    if (this.waiting.length > 0 || this.running.length > 0) return this.clock;
    return this.pending[0]?.readyAt;
  }

  advanceTo(t: number): void {
    for (;;) {
      if (this.step) {
        if (this.step.end > t) return;
        this.finishStep(this.step);
        this.step = undefined;
        this.planStep();
        continue;
      }
      const ready = this.nextEventAt();
      if (ready === undefined || ready > t) {
        if (ready === undefined && t > this.clock) this.clock = t;
        return;
      }
      this.clock = Math.max(this.clock, ready);
      this.planStep();
      if (!this.step) return;
    }
  }

  load(): EngineLoad {
    const used = this.cache.usedBlocks;
    return {
      running: this.running.length,
      waiting: this.waiting.length + this.pending.length,
      kvUsage: used / this.cache.numBlocks,
      kvTokens: used * this.params.blockSize,
      kvCapacityTokens: this.cache.numBlocks * this.params.blockSize,
      maxNumSeqs: this.params.maxNumSeqs,
    };
  }

  /** Cache counts (for tests and stats). */
  kvSnapshot(): ReturnType<KvCache['snapshot']> {
    return this.cache.snapshot();
  }

  private planStep(): void {
    const p = this.params;
    while (this.pending.length > 0 && this.pending[0]!.readyAt <= this.clock) {
      const r = this.pending.shift()!;
      r.state = 'waiting';
      this.waiting.push(r);
    }
    let budget = p.maxNumBatchedTokens;
    const batch: Scheduled[] = [];
    let prefillPairs = 0;
    let decodeContext = 0;
    const preemptionsBefore = this.recorder.preemptions;
    // Running requests first. Iterate by index: preemption removes from the end of `running`.
    for (let i = 0; i < this.running.length && budget > 0; i++) {
      const req = this.running[i]!;
      const n = Math.min(req.tokens.length - req.computed, budget);
      if (!this.growBlocks(req, req.computed + n)) break; // req itself was preempted: it was last
      if (req.generated > 0 && n === 1 && req.computed === req.tokens.length - 1)
        decodeContext += req.computed + 1;
      else prefillPairs += n * (req.computed + n / 2);
      batch.push({ req, n });
      budget -= n;
    }
    // Then waiting requests, first come first served; stop at the first that does not fit. As in vLLM V1, a
    // step that had to preempt admits nobody, or it would thrash.
    let admitted = 0;
    const mayAdmit = this.recorder.preemptions === preemptionsBefore;
    while (mayAdmit && admitted < this.waiting.length && budget > 0 && this.running.length < p.maxNumSeqs) {
      const req = this.waiting[admitted]!;
      if (!this.admit(req)) break;
      admitted++;
      const n = Math.min(req.tokens.length - req.computed, budget);
      prefillPairs += n * (req.computed + n / 2);
      batch.push({ req, n });
      budget -= n;
    }
    if (admitted > 0) this.waiting = this.waiting.slice(admitted);
    if (batch.length === 0) return;
    const tokens = p.maxNumBatchedTokens - budget;
    const ms =
      stepTimeMs(p, this.coef, { tokens, prefillPairs, decodeContext, seqs: batch.length }) *
      lognormalFactor(p.noiseSigma, this.random);
    this.step = { start: this.clock, end: this.clock + ms, batch };
    this.recorder.steps++;
    this.recorder.busyMs += ms;
    this.recorder.batchSeqs += batch.length;
  }

  /** Ensures `req` holds blocks for `tokens` tokens, preempting from the back of `running` if needed. */
  private growBlocks(req: Req, tokens: number): boolean {
    const need = Math.ceil(tokens / this.params.blockSize) - req.blocks.length;
    if (need <= 0) return true;
    for (;;) {
      const got = this.cache.allocate(need);
      if (got) {
        for (const b of got) req.blocks.push(b);
        return true;
      }
      const victim = this.running[this.running.length - 1]!;
      this.preempt(victim);
      if (victim === req) return false;
    }
  }

  /** vLLM V1 recompute preemption: free the blocks (they stay cached) and requeue at the front. */
  private preempt(req: Req): void {
    this.running.pop();
    this.cache.release(req.blocks);
    req.blocks = [];
    req.computed = 0;
    req.registered = 0;
    req.preemptions++;
    req.state = 'waiting';
    this.waiting.unshift(req);
    this.recorder.preemptions++;
  }

  /** Allocates the whole prompt's blocks (reusing the cached prefix), or returns false and changes nothing. */
  private admit(req: Req): boolean {
    const bs = this.params.blockSize;
    const len = req.tokens.length;
    this.hashUpTo(req, Math.floor(len / bs));
    // At least one token is always computed, so a full hit still prefills the last block's worth.
    const hits = this.cache.match(req.hashes, Math.floor((len - 1) / bs));
    const fresh = Math.ceil(len / bs) - hits.length;
    if (!this.cache.canAcquire(hits, fresh)) return false;
    this.cache.retain(hits);
    req.blocks = hits.concat(this.cache.allocate(fresh)!);
    req.computed = hits.length * bs;
    req.registered = hits.length;
    req.state = 'running';
    this.running.push(req);
    if (!req.admittedOnce) {
      req.admittedOnce = true;
      req.cachedTokens = req.computed;
      this.recorder.prefixQueries += len;
      this.recorder.prefixHits += req.computed;
      this.recorder.promptTokens += len;
      this.recorder.queue.observe((this.clock - req.arrival) / 1000);
    }
    return true;
  }

  private hashUpTo(req: Req, blocks: number): void {
    const bs = this.params.blockSize;
    for (let i = req.hashes.length; i < blocks; i++) {
      req.hashes.push(chainHash(i === 0 ? 0 : req.hashes[i - 1]!, req.tokens, i * bs, (i + 1) * bs));
    }
  }

  private finishStep(step: Step): void {
    this.clock = step.end;
    const bs = this.params.blockSize;
    let finishedAny = false;
    for (const { req, n } of step.batch) {
      if (req.state !== 'running') continue; // cancelled or preempted during the step
      req.computed += n;
      const full = Math.floor(req.computed / bs);
      if (full > req.registered) {
        this.hashUpTo(req, full);
        for (let i = req.registered; i < full; i++) this.cache.register(req.blocks[i]!, req.hashes[i]!);
        req.registered = full;
      }
      if (req.computed < req.tokens.length) continue; // prefill not finished
      const index = req.generated;
      req.tokens.push(req.spec.outputTokenId(index));
      req.generated++;
      this.recorder.generationTokens++;
      if (index === 0) {
        req.firstTokenAt = this.clock;
        this.recorder.ttft.observe((this.clock - req.arrival) / 1000);
      } else {
        this.recorder.itl.observe((this.clock - req.lastTokenAt) / 1000);
      }
      req.lastTokenAt = this.clock;
      let finish: FinishReason | undefined;
      if (req.generated >= req.spec.outputTokens) {
        finish = req.spec.finishReason;
        req.state = 'done';
        this.cache.release(req.blocks);
        req.blocks = [];
        finishedAny = true;
        this.recorder.finished[finish] = (this.recorder.finished[finish] ?? 0) + 1;
        this.recorder.e2e.observe((this.clock - req.arrival) / 1000);
      }
      req.sink.onToken(index, this.clock, finish);
    }
    if (finishedAny) this.running = this.running.filter((r) => r.state === 'running');
  }
}
