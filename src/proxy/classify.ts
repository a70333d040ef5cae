/**
 * Classifies upstream failures into the error taxonomy. The key question for an LLM POST is whether the
 * request can have reached the endpoint: a connect failure provably did not (safe to retry anywhere); a
 * reset or a timeout after sending may have run — and billed — the request, so it is re-sent only when the
 * operator opts in (`retry.retryAfterSend`).
 */
import { FulcrumError } from '../core/errors.js';

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UPSTREAM_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
]);

interface ErrorLike {
  code?: unknown;
  syscall?: unknown;
  name?: unknown;
}

function codeOf(err: unknown): string {
  const e = err as ErrorLike | null;
  return typeof e?.code === 'string' ? e.code : '';
}

/** Whether the error proves the request never reached the endpoint. */
export function isConnectFailure(err: unknown): boolean {
  // Node tries each address a name resolves to; when all fail it throws an AggregateError of them.
  if (err instanceof AggregateError && err.errors.length > 0) return err.errors.every(isConnectFailure);
  const e = err as ErrorLike | null;
  return CONNECT_CODES.has(codeOf(err)) || e?.syscall === 'connect';
}

/** A short reason label for metrics and logs (bounded set of values). */
export function failureReason(err: unknown): string {
  if (isConnectFailure(err)) return 'connect';
  const code = codeOf(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'first_byte_timeout';
  if (code === 'UND_ERR_BODY_TIMEOUT') return 'idle_timeout';
  if (
    code === 'UPSTREAM_BAD_RESPONSE' ||
    code.startsWith('HPE_') ||
    code === 'UND_ERR_INFO' ||
    code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH'
  ) {
    return 'bad_response';
  }
  return 'reset';
}

/**
 * The error for a failure before any response header arrived.
 * @param retryAfterSend whether requests that may have reached the endpoint can be re-sent
 */
export function preResponseError(err: unknown, endpoint: string, retryAfterSend: boolean): FulcrumError {
  const reason = failureReason(err);
  switch (reason) {
    case 'connect':
      return new FulcrumError('upstream_connect_error', `Could not connect to endpoint ${endpoint}.`, {
        cause: err,
      });
    case 'first_byte_timeout':
      return new FulcrumError('upstream_timeout', `Endpoint ${endpoint} did not answer in time.`, {
        cause: err,
        retryable: retryAfterSend,
      });
    case 'bad_response':
      return new FulcrumError('upstream_bad_response', `Endpoint ${endpoint} sent a malformed response.`, {
        cause: err,
        retryable: retryAfterSend,
      });
    default:
      return new FulcrumError(
        'upstream_reset',
        `Endpoint ${endpoint} closed the connection without answering.`,
        {
          cause: err,
          retryable: retryAfterSend,
        },
      );
  }
}

/** The error for a response body that broke after the commit point. */
export function midStreamError(err: unknown, endpoint: string): FulcrumError {
  if (failureReason(err) === 'idle_timeout') {
    return new FulcrumError('upstream_idle_timeout', `Endpoint ${endpoint} stopped sending data.`, {
      cause: err,
    });
  }
  return new FulcrumError(
    'upstream_stream_error',
    `The connection to endpoint ${endpoint} was lost mid-response.`,
    {
      cause: err,
    },
  );
}
