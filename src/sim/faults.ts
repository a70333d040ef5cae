/**
 * The fault table. A fault is chosen per request: by the `x-sim-fault` header (always wins), else by a
 * schedule window that covers the current time, else by a rate. Grammar of one fault spec:
 *
 *   name[=value][;key=value...]
 *
 *   status=429|500|503[;retry-after=S]  reply with that error status (OpenAI error body, `Retry-After: S`)
 *   reset-before-headers                reset the connection (RST) before any response byte
 *   close-after=N[;mode=fin|rst]        stream N tokens, then close the connection (FIN, default) or reset it
 *   stall-after=N                       stream N tokens, then send nothing more, keeping the connection open
 *   garbage                             write bytes that are not HTTP, then close
 *   bad-sse[=N]                         after N tokens (default 0), send a malformed SSE event, then end
 *   slow-headers=MS                     wait MS wall milliseconds before doing anything (headers included)
 *   content-length-lie                  a complete body with a Content-Length larger than it, then close
 *   refuse[=MS]                         reset this connection and stop listening for MS ms (default 1000):
 *                                       new connections are refused
 *   crash                               the server dies: every connection is reset and the listener closed
 *                                       (`fulcrum sim` exits the process)
 *   none                                no fault (overrides a rate or schedule for this request)
 */
import type { Random } from '../core/prng.js';

export type Fault =
  | { kind: 'status'; status: number; retryAfterSec: number | undefined }
  | { kind: 'reset-before-headers' }
  | { kind: 'close-after'; tokens: number; mode: 'fin' | 'rst' }
  | { kind: 'stall-after'; tokens: number }
  | { kind: 'garbage' }
  | { kind: 'bad-sse'; tokens: number }
  | { kind: 'slow-headers'; ms: number }
  | { kind: 'content-length-lie' }
  | { kind: 'refuse'; ms: number }
  | { kind: 'crash' }
  | { kind: 'none' };

/** Every fault name, for help texts. */
export const FAULT_NAMES = [
  'status',
  'reset-before-headers',
  'close-after',
  'stall-after',
  'garbage',
  'bad-sse',
  'slow-headers',
  'content-length-lie',
  'refuse',
  'crash',
  'none',
] as const;

/** The header that picks a fault for one request. */
export const FAULT_HEADER = 'x-sim-fault';

function num(v: string | undefined, what: string, spec: string): number {
  const n = Number(v);
  if (v === undefined || v === '' || !Number.isFinite(n) || n < 0) {
    throw new Error(`fault "${spec}": ${what} must be a number >= 0`);
  }
  return n;
}

/** Parses one fault spec (grammar above); throws an Error naming the problem. */
export function parseFault(spec: string): Fault {
  const [head = '', ...rest] = spec.trim().split(';');
  const [name = '', value] = head.split('=').map((s) => s.trim());
  const opts = new Map(
    rest.map((kv) => {
      const [k = '', v = ''] = kv.split('=').map((s) => s.trim());
      return [k, v] as const;
    }),
  );
  switch (name) {
    case 'status': {
      const status = num(value, 'status', spec);
      if (!Number.isInteger(status) || status < 400 || status > 599) {
        throw new Error(`fault "${spec}": status must be 400–599`);
      }
      const ra = opts.get('retry-after');
      return {
        kind: 'status',
        status,
        retryAfterSec: ra === undefined ? undefined : num(ra, 'retry-after', spec),
      };
    }
    case 'reset-before-headers':
    case 'garbage':
    case 'content-length-lie':
    case 'crash':
    case 'none':
      return { kind: name };
    case 'close-after': {
      const mode = opts.get('mode') ?? 'fin';
      if (mode !== 'fin' && mode !== 'rst') throw new Error(`fault "${spec}": mode must be fin or rst`);
      return { kind: 'close-after', tokens: num(value, 'token count', spec), mode };
    }
    case 'stall-after':
      return { kind: 'stall-after', tokens: num(value, 'token count', spec) };
    case 'bad-sse':
      return { kind: 'bad-sse', tokens: value === undefined ? 0 : num(value, 'token count', spec) };
    case 'slow-headers':
      return { kind: 'slow-headers', ms: num(value, 'delay', spec) };
    case 'refuse':
      return { kind: 'refuse', ms: value === undefined ? 1000 : num(value, 'duration', spec) };
    default:
      throw new Error(`unknown fault "${name}"; valid: ${FAULT_NAMES.join(', ')}`);
  }
}

/** A window of the schedule: between `fromSec` and `toSec` after start, `fault` hits with probability `rate`. */
export interface FaultWindow {
  fromSec: number;
  toSec: number;
  fault: Fault;
  /** Probability per request inside the window. Default 1. */
  rate?: number;
}

/** Faults injected without a header. */
export interface FaultPlan {
  /** Probability that a request gets one of `faults` (uniformly). Default 0. */
  rate?: number;
  /** The faults `rate` draws from. Default `[status=500]`. */
  faults?: Fault[];
  /** Time windows; a covering window takes precedence over `rate`. */
  schedule?: FaultWindow[];
}

/** Parses a schedule entry `FROM-TO[@RATE]:SPEC`, e.g. `10-20:status=503` or `0-60@0.1:close-after=5`. */
export function parseWindow(text: string): FaultWindow {
  const m = /^\s*([\d.]+)-([\d.]+)(?:@([\d.]+))?:(.+)$/.exec(text);
  if (!m)
    throw new Error(
      `fault schedule "${text}": expected FROM-TO[@RATE]:SPEC (seconds), e.g. 10-20:status=503`,
    );
  const fromSec = Number(m[1]);
  const toSec = Number(m[2]);
  if (!(toSec > fromSec)) throw new Error(`fault schedule "${text}": TO must be after FROM`);
  const rate = m[3] === undefined ? 1 : Number(m[3]);
  if (!(rate >= 0 && rate <= 1)) throw new Error(`fault schedule "${text}": RATE must be in [0, 1]`);
  return { fromSec, toSec, rate, fault: parseFault(m[4]!) };
}

/**
 * The fault for one request, or undefined. `header` is the `x-sim-fault` value (a bad one throws, so the
 * caller can answer 400), `elapsedSec` the wall seconds since the server started.
 */
export function chooseFault(
  header: string | undefined,
  plan: FaultPlan,
  elapsedSec: number,
  random: Random,
): Fault | undefined {
  if (header !== undefined && header !== '') {
    const f = parseFault(header);
    return f.kind === 'none' ? undefined : f;
  }
  for (const w of plan.schedule ?? []) {
    if (elapsedSec >= w.fromSec && elapsedSec < w.toSec)
      return random() < (w.rate ?? 1) ? w.fault : undefined;
  }
  const rate = plan.rate ?? 0;
  if (rate > 0 && random() < rate) {
    const faults = plan.faults?.length
      ? plan.faults
      : [{ kind: 'status', status: 500, retryAfterSec: undefined } as Fault];
    return faults[Math.floor(random() * faults.length)];
  }
  return undefined;
}

/** A short label of a fault for records and logs, e.g. `status=503`. */
export function faultLabel(f: Fault): string {
  switch (f.kind) {
    case 'status':
      return `status=${f.status}`;
    case 'close-after':
      return `close-after=${f.tokens};mode=${f.mode}`;
    case 'stall-after':
    case 'bad-sse':
      return `${f.kind}=${f.tokens}`;
    case 'slow-headers':
    case 'refuse':
      return `${f.kind}=${f.ms}`;
    default:
      return f.kind;
  }
}
