/**
 * A small structured logger: JSON lines (`time`, `level`, `msg`, then fields) for machines, or a
 * `time LEVEL msg key=value` text form for people. Everything written passes through a `Redactor`, so
 * credentials never reach the log however they got into a message or a field (see redact.ts).
 *
 * Logging must never break a request: formatting and writing errors are swallowed (and counted in
 * `logger.dropped`), and `attachRequestLog` is a bus subscriber, whose errors the bus already contains.
 */
import type { TelemetryBus } from './events.js';
import { Redactor } from './redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured fields attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (the child's own fields win on conflicts). */
  child(fields: LogFields): Logger;
  /**
   * Masks this exact string in every later line of this logger, its parent and its children (for secrets
   * learned at run time: the admin token, API keys of endpoints added through the admin API).
   */
  addSecret(secret: string | undefined): void;
  /** Lines lost because formatting or writing threw. Shared with children. */
  readonly dropped: number;
}

export interface LoggerOptions {
  /** Lowest level written; `silent` writes nothing. Default `info`. */
  level?: LogLevel | 'silent';
  /** `json` (one object per line) or `text`. Default `json`. */
  format?: 'json' | 'text';
  /** Literal secrets (admin token, endpoint API keys) masked wherever they appear. Default none. */
  secrets?: Iterable<string | undefined>;
  /** Clock for the `time` field. Default `() => new Date()`; tests pass a fixed one. */
  now?: () => Date;
}

/** Where lines go: anything with a `write(string)`, such as `process.stderr`. */
export interface LogSink {
  write(chunk: string): unknown;
}

const RANK: Record<LogLevel | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
/** Keys the line itself owns; a field with one of these names is renamed rather than overwriting it. */
const RESERVED = new Set(['time', 'level', 'msg']);

interface Shared {
  readonly min: number;
  readonly format: 'json' | 'text';
  readonly redactor: Redactor;
  readonly out: LogSink;
  readonly now: () => Date;
  dropped: number;
}

/** Builds a logger writing to `out` (default stderr). Accepts `config.logging` directly. */
export function createLogger(options: LoggerOptions = {}, out: LogSink = process.stderr): Logger {
  const level = options.level ?? 'info';
  if (!(level in RANK)) throw new Error(`unknown log level "${level}"`);
  const shared: Shared = {
    min: RANK[level],
    format: options.format ?? 'json',
    redactor: new Redactor(options.secrets),
    out,
    now: options.now ?? (() => new Date()),
    dropped: 0,
  };
  return makeLogger(shared, {});
}

function makeLogger(shared: Shared, base: LogFields): Logger {
  const log = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (RANK[level] < shared.min) return;
    try {
      shared.out.write(formatLine(shared, level, msg, fields ? { ...base, ...fields } : base));
    } catch {
      shared.dropped += 1;
    }
  };
  return {
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
    child: (fields) => makeLogger(shared, { ...base, ...fields }),
    addSecret: (secret) => shared.redactor.addSecret(secret),
    get dropped() {
      return shared.dropped;
    },
  };
}

function formatLine(shared: Shared, level: LogLevel, msg: string, fields: LogFields): string {
  const safe = shared.redactor.value(fields) as Record<string, unknown>;
  const line: Record<string, unknown> = {
    time: shared.now().toISOString(),
    level,
    msg: shared.redactor.string(String(msg)),
  };
  for (const [k, v] of Object.entries(safe)) {
    if (v === undefined) continue;
    line[RESERVED.has(k) ? `field_${k}` : k] = v;
  }
  if (shared.format === 'json') return `${JSON.stringify(line)}\n`;
  let text = `${line.time} ${level.toUpperCase().padEnd(5)} ${line.msg}`;
  for (const [k, v] of Object.entries(line)) {
    if (RESERVED.has(k)) continue;
    text += ` ${k}=${textValue(v)}`;
  }
  return `${text}\n`;
}

/** Bare when unambiguous, JSON-quoted otherwise (spaces, quotes, `=`, newlines, objects). */
function textValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=\\]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v);
}

export interface RequestLogOptions {
  /** Log requests at all; mirrors `logging.requests`. Default true (the caller decided to attach). */
  requests?: boolean;
}

/**
 * Logs one line per finished request (`request.end`): info for < 500, warn for 5xx. Returns the detach
 * function. Fields are the event's, minus nothing secret by construction: events carry no headers or keys.
 */
export function attachRequestLog(
  bus: TelemetryBus,
  logger: Logger,
  options: RequestLogOptions = {},
): () => void {
  if (options.requests === false) return () => {};
  return bus.on('request.end', (e) => {
    const fields = {
      id: e.id,
      path: e.path,
      model: e.model,
      stream: e.stream,
      status: e.status,
      endpoint: e.endpoint,
      attempts: e.attempts,
      durationMs: Math.round(e.durationMs * 10) / 10,
      ttfbMs: e.ttfbMs === undefined ? undefined : Math.round(e.ttfbMs * 10) / 10,
      errorCode: e.errorCode,
      clientAborted: e.clientAborted || undefined,
    };
    if (e.status >= 500) logger.warn('request', fields);
    else logger.info('request', fields);
  });
}
