/**
 * The `fixed` profile's engine: a test fixture, not a model. Every request gets its first token exactly
 * `ttftMs` after arrival and each later token exactly `itlMs` after the previous one, whatever the load, so the
 * bench can check that it measures a backend of known TTFT and ITL. Events sit in a binary heap keyed by due
 * time; no KV cache, no queueing.
 */
import type { EngineLoad, EngineRequest, EngineRequestSpec, SimEngine, TokenSink } from './engine-types.js';
import type { FixedParams } from './profiles.js';
import { Recorder } from './recorder.js';

class FixedReq implements EngineRequest {
  generated = 0;
  firstTokenAt: number | undefined;
  readonly cachedTokens = 0;
  readonly preemptions = 0;
  done = false;
  constructor(
    readonly id: number,
    readonly spec: EngineRequestSpec,
    readonly sink: TokenSink,
    readonly arrival: number,
    public due: number,
  ) {}
  get promptLength(): number {
    return this.spec.promptTokens.length;
  }
}

/** Engine with exact, load-independent TTFT and ITL. */
export class FixedEngine implements SimEngine {
  readonly recorder = new Recorder();
  private readonly heap: FixedReq[] = [];
  private active = 0;
  private nextId = 1;
  private clock = 0;

  constructor(readonly params: FixedParams) {}

  get now(): number {
    return this.clock;
  }

  submit(spec: EngineRequestSpec, sink: TokenSink, arrival = this.clock): EngineRequest {
    const n = spec.promptTokens.length;
    if (n + spec.outputTokens > this.params.maxModelLen) {
      throw new RangeError(`This model's maximum context length is ${this.params.maxModelLen} tokens.`);
    }
    const req = new FixedReq(this.nextId++, spec, sink, arrival, arrival + this.params.ttftMs);
    this.recorder.promptTokens += n;
    this.recorder.prefixQueries += n;
    this.push(req);
    this.active++;
    return req;
  }

  cancel(handle: EngineRequest): void {
    const req = handle as FixedReq;
    if (req.done) return;
    req.done = true; // left in the heap and skipped when it surfaces
    this.active--;
    this.recorder.finished.abort = (this.recorder.finished.abort ?? 0) + 1;
  }

  nextEventAt(): number | undefined {
    while (this.heap.length > 0 && this.heap[0]!.done) this.pop();
    return this.heap[0]?.due;
  }

  advanceTo(t: number): void {
    for (;;) {
      const due = this.nextEventAt();
      if (due === undefined || due > t) break;
      const req = this.pop();
      this.clock = Math.max(this.clock, req.due);
      const index = req.generated++;
      this.recorder.generationTokens++;
      if (index === 0) {
        req.firstTokenAt = req.due;
        this.recorder.ttft.observe((req.due - req.arrival) / 1000);
      } else this.recorder.itl.observe(this.params.itlMs / 1000);
      const last = req.generated >= req.spec.outputTokens;
      if (last) {
        req.done = true;
        this.active--;
        this.recorder.finished[req.spec.finishReason] =
          (this.recorder.finished[req.spec.finishReason] ?? 0) + 1;
        this.recorder.e2e.observe((req.due - req.arrival) / 1000);
      } else {
        req.due += this.params.itlMs;
        this.push(req);
      }
      req.sink.onToken(index, this.clock, last ? req.spec.finishReason : undefined);
    }
    if (t > this.clock) this.clock = t;
  }

  load(): EngineLoad {
    return { running: this.active, waiting: 0, kvUsage: 0, kvTokens: 0, kvCapacityTokens: 0, maxNumSeqs: 0 };
  }

  private push(r: FixedReq): void {
    const h = this.heap;
    h.push(r);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.due <= r.due) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = r;
  }

  private pop(): FixedReq {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && h[r]!.due < h[l]!.due ? r : l;
        if (h[c]!.due >= last.due) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
