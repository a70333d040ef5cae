/**
 * The request context that flows through the pipeline. The listener fills the request facts; the stages
 * fill the outcome (attempts, endpoint, status) that telemetry reports at the end.
 *
 * A context lives as long as its response, which for a stream is minutes, and thousands are open at once:
 * it is one object with every field set up front (docs/architecture.md, hot-path rules), and what only
 * the way to the commit point needs (the body, its parsed JSON) is released there.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { DataPlaneResponse } from '../server/h1/response.js';
import type { ParsedBody } from '../server/parse-request.js';

export interface RequestContext {
  /** `x-request-id`: the client's when valid, else generated. */
  readonly id: string;
  readonly method: string;
  /** The request headers, as node:http shows them (lower-case names). */
  readonly headers: IncomingHttpHeaders;
  readonly res: DataPlaneResponse;
  /** Path without the query string, e.g. `/v1/chat/completions`. */
  readonly path: string;
  /** The query string including `?`, or ''. */
  readonly search: string;
  /** The socket peer address. */
  readonly peerIp: string;
  /** The client address after trusted-proxy resolution. */
  readonly clientIp: string;
  /** Clock ms when the request head was received. */
  readonly startedAt: number;
  /** True once the client went away before its response finished. */
  readonly clientAborted: boolean;
  /** The request's `model` ('' when it names none); kept after the body is released. */
  readonly model: string;
  /** Whether the request asked for a stream; kept after the body is released. */
  readonly stream: boolean;
  /** The raw request body (empty for GET, and once released). */
  readonly body: Buffer;
  /** The parsed JSON body, for routes that carry one (undefined once released). */
  readonly parsed: ParsedBody | undefined;
  /**
   * Drops the body and its parsed JSON. Called at the commit point: nothing is sent again after it, and a
   * stream should not keep its prompt (often tens of kilobytes) alive for its whole length. A stage that
   * needs the body after `next` (a cache building its key) reads it before.
   */
  releaseBody(): void;

  /** Upstream attempts made so far. */
  attempts: number;
  /** The endpoint of the last attempt. */
  endpoint: string | undefined;
  /** The status sent to the client (0 until sent). */
  status: number;
  /** Clock ms when the first response body byte was sent (for a stream: its first event). */
  firstByteAt: number | undefined;
  /** Error code when the request failed, before or after the commit point. */
  errorCode: string | undefined;
}

/** A pipeline stage's callable form: resolves once the response is over (sent, cut or abandoned). */
export type Handler = (ctx: RequestContext) => Promise<void>;

/** A cross-cutting stage: wraps the next handler. */
export type Middleware = (next: Handler) => Handler;
