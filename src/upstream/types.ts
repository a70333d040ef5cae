/**
 * The upstream transport interface the proxy sends through. It is the subset of undici's dispatcher API the
 * attempt uses, so an undici `Pool` (kept for `https:` endpoints) and our HTTP/1.1 pool (`h1-pool.ts`, for
 * `http:` endpoints) are interchangeable behind it.
 */

/** Response header values, lower-case names. */
export type UpstreamHeaders = Record<string, string | string[] | undefined>;

/** What a handler may do to its request while it runs. */
export interface UpstreamController {
  /** Stops reading the response until {@link resume}: backpressure from a slow client. */
  pause(): void;
  resume(): void;
  /** Ends the request now; the connection is closed and `onResponseError(reason)` follows. */
  abort(reason: Error): void;
  readonly aborted: boolean;
  readonly paused: boolean;
}

/**
 * Callbacks for one request. Exactly one of `onResponseEnd` and `onResponseError` ends it. `onRequestStart`
 * comes first, before a connection is assigned, so an abort can cancel a request still waiting for one.
 */
export interface UpstreamHandler {
  onRequestStart(controller: UpstreamController): void;
  /** The final response head (1xx heads are not reported). */
  onResponseStart(controller: UpstreamController, status: number, headers: UpstreamHeaders): void;
  /** Body bytes, de-chunked; the buffer is the handler's to keep. */
  onResponseData(controller: UpstreamController, chunk: Buffer): void;
  onResponseEnd(controller: UpstreamController): void;
  onResponseError(controller: UpstreamController, error: Error): void;
}

export interface UpstreamRequest {
  method: string;
  /** Path and query, already joined. */
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer | null;
}

/** A connection pool for one origin. */
export interface Upstream {
  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void;
  /** Lets in-flight requests finish, then closes every connection. */
  close(): Promise<void>;
  /** Aborts in-flight requests and closes every connection now. */
  destroy(): Promise<void>;
}
