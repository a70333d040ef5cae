/**
 * Errors of the HTTP/1.1 upstream client. Each carries a stable `code` that `proxy/classify.ts` maps to a
 * failure reason; connect failures keep Node's own errors (`ECONNREFUSED`, `syscall: 'connect'`), which
 * classify already knows.
 */

export type UpstreamErrorCode =
  /** No TCP connection within the connect timeout: the request provably never left. */
  | 'UPSTREAM_CONNECT_TIMEOUT'
  /** The endpoint closed the connection before the response was complete. */
  | 'UPSTREAM_CLOSED'
  /** The bytes received are not a well-formed HTTP/1.1 response (or exceed our bounds). */
  | 'UPSTREAM_BAD_RESPONSE'
  /** The request could not be sent as given (a header value with a line break, a bad path). */
  | 'UPSTREAM_INVALID_REQUEST'
  /** The pool was destroyed with the request in flight. */
  | 'UPSTREAM_POOL_DESTROYED';

export class UpstreamError extends Error {
  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}
