/**
 * The request context that flows through the pipeline. The listener fills the request facts; the stages
 * fill the outcome (attempts, endpoint, status) that telemetry reports at the end.
 */
import type { H1Request } from '../server/h1/connection.js';
import type { DataPlaneResponse } from '../server/h1/response.js';
import type { ParsedBody } from '../server/parse-request.js';

export interface RequestContext {
  /** `x-request-id`: the client's when valid, else generated. */
  readonly id: string;
  /** The request, its body read whole. */
  readonly req: H1Request;
  readonly res: DataPlaneResponse;
  readonly method: string;
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
  /** `aborted` becomes true when the client goes away before its response finished. */
  readonly clientGone: { readonly aborted: boolean };
  /** The raw request body (empty for GET). */
  readonly body: Buffer;
  /** The parsed JSON body, for routes that carry one. */
  readonly parsed: ParsedBody | undefined;

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

/** A pipeline stage's callable form. */
export type Handler = (ctx: RequestContext) => Promise<void>;

/** A cross-cutting stage: wraps the next handler. */
export type Middleware = (next: Handler) => Handler;
