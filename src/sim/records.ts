/**
 * What the simulator remembers about each request, for tests and for the proxy's cancellation checks: who
 * asked (`x-request-id`), what it cost, how it ended. The server emits `request:start` and `request:end` with
 * these records on `SimHandle.events` and keeps the most recent ones.
 */
import { EventEmitter } from 'node:events';

/** How a request ended. */
export type RequestOutcome = 'ok' | 'aborted' | 'fault' | 'error' | 'active';

/** One request seen by the simulator. */
export interface SimRequestRecord {
  /** The client's `x-request-id` header, or one the simulator made up. */
  requestId: string;
  method: string;
  path: string;
  model: string | undefined;
  stream: boolean;
  /** HTTP status sent, or undefined if none was (reset, garbage, abort before headers). */
  status: number | undefined;
  /** The fault applied, as its label (`status=503`, `close-after=5;mode=rst`, ...). */
  fault: string | undefined;
  promptTokens: number;
  cachedTokens: number;
  /** Tokens generated for this request (sent or not). */
  completionTokens: number;
  /** Virtual ms from arrival to first token, when there was one. */
  ttftMs: number | undefined;
  /** Wall-clock `Date.now()` at start and end. */
  startedAt: number;
  endedAt: number | undefined;
  outcome: RequestOutcome;
}

/** Events of a running simulator. */
export interface SimEvents {
  'request:start': [SimRequestRecord];
  'request:end': [SimRequestRecord];
  /** The `crash` fault fired (the library closes everything; the CLI exits). */
  crash: [];
}

/** A bounded log of recent records plus the event emitter. */
export class RequestLog {
  readonly events = new EventEmitter<SimEvents>();
  private readonly recent: SimRequestRecord[] = [];
  requests = 0;
  active = 0;
  completed = 0;
  aborted = 0;
  faults = 0;
  errors = 0;

  constructor(private readonly keep = 1000) {}

  start(rec: SimRequestRecord): void {
    this.requests++;
    this.active++;
    this.recent.push(rec);
    if (this.recent.length > this.keep) this.recent.shift();
    this.events.emit('request:start', rec);
  }

  end(rec: SimRequestRecord, outcome: Exclude<RequestOutcome, 'active'>): void {
    if (rec.outcome !== 'active') return;
    rec.outcome = outcome;
    rec.endedAt = Date.now();
    this.active--;
    if (outcome === 'ok') this.completed++;
    else if (outcome === 'aborted') this.aborted++;
    else if (outcome === 'fault') this.faults++;
    else this.errors++;
    this.events.emit('request:end', rec);
  }

  /** The most recent records, oldest first. */
  list(): SimRequestRecord[] {
    return this.recent.slice();
  }
}
