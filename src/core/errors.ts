/**
 * The one error taxonomy. Every failure Fulcrum reports to a client is a `FulcrumError` with a code from
 * `ERROR_KINDS`; `server/openai-error.ts` turns it into OpenAI's JSON shape in one place. The `source` says
 * whose fault it is (client, Fulcrum itself, or the upstream endpoint), which decides whether it counts
 * against an endpoint's health, and `retryable` says whether another endpoint may be tried.
 */

/** Who caused an error. Only `upstream` errors feed passive health (outlier ejection). */
export type ErrorSource = 'client' | 'gateway' | 'upstream';

interface ErrorKind {
  /** HTTP status sent to the client. */
  status: number;
  /** OpenAI `error.type`. */
  type: string;
  source: ErrorSource;
  /** Whether the request may be retried on another endpoint (before the commit point only). */
  retryable: boolean;
}

/** Every error code Fulcrum emits, with its status, OpenAI type, source and retryability. */
export const ERROR_KINDS = {
  invalid_json: { status: 400, type: 'invalid_request_error', source: 'client', retryable: false },
  invalid_request: { status: 400, type: 'invalid_request_error', source: 'client', retryable: false },
  unauthorized: { status: 401, type: 'authentication_error', source: 'client', retryable: false },
  forbidden: { status: 403, type: 'permission_error', source: 'client', retryable: false },
  not_found: { status: 404, type: 'invalid_request_error', source: 'client', retryable: false },
  model_not_found: { status: 404, type: 'invalid_request_error', source: 'client', retryable: false },
  method_not_allowed: { status: 405, type: 'invalid_request_error', source: 'client', retryable: false },
  conflict: { status: 409, type: 'invalid_request_error', source: 'client', retryable: false },
  request_timeout: { status: 408, type: 'invalid_request_error', source: 'client', retryable: false },
  payload_too_large: { status: 413, type: 'invalid_request_error', source: 'client', retryable: false },
  unsupported_media_type: { status: 415, type: 'invalid_request_error', source: 'client', retryable: false },
  rate_limit_exceeded: { status: 429, type: 'rate_limit_error', source: 'gateway', retryable: false },
  internal_error: { status: 500, type: 'server_error', source: 'gateway', retryable: false },
  upstream_connect_error: { status: 502, type: 'server_error', source: 'upstream', retryable: true },
  upstream_error: { status: 502, type: 'server_error', source: 'upstream', retryable: true },
  upstream_reset: { status: 502, type: 'server_error', source: 'upstream', retryable: false },
  upstream_bad_response: { status: 502, type: 'server_error', source: 'upstream', retryable: true },
  upstream_stream_error: { status: 502, type: 'server_error', source: 'upstream', retryable: false },
  no_endpoint_available: { status: 503, type: 'server_error', source: 'gateway', retryable: false },
  shutting_down: { status: 503, type: 'server_error', source: 'gateway', retryable: false },
  upstream_timeout: { status: 504, type: 'timeout_error', source: 'upstream', retryable: true },
  upstream_idle_timeout: { status: 504, type: 'timeout_error', source: 'upstream', retryable: false },
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof ERROR_KINDS;

export interface FulcrumErrorOptions {
  /** OpenAI `error.param`: the request field at fault, if any. */
  param?: string;
  /** Seconds the client should wait before retrying; sent as `Retry-After`. */
  retryAfterSec?: number;
  /** Overrides the kind's default retryability for this instance. */
  retryable?: boolean;
  /** Overrides the kind's status (e.g. to relay an upstream's 429 as-is). */
  status?: number;
  cause?: unknown;
}

/** An error Fulcrum reports to a client. `message` must never contain secrets: it is sent verbatim. */
export class FulcrumError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: string;
  readonly source: ErrorSource;
  readonly retryable: boolean;
  readonly param: string | undefined;
  readonly retryAfterSec: number | undefined;

  constructor(code: ErrorCode, message: string, options: FulcrumErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const kind: ErrorKind = ERROR_KINDS[code];
    this.name = 'FulcrumError';
    this.code = code;
    this.status = options.status ?? kind.status;
    this.type = kind.type;
    this.source = kind.source;
    this.retryable = options.retryable ?? kind.retryable;
    this.param = options.param;
    this.retryAfterSec = options.retryAfterSec;
  }
}

/** Wraps anything thrown into a FulcrumError, hiding internal details from the client. */
export function asFulcrumError(err: unknown): FulcrumError {
  if (err instanceof FulcrumError) return err;
  return new FulcrumError('internal_error', 'Internal error in the load balancer.', { cause: err });
}
