/**
 * The data plane's request context: one object per request with every field set in the constructor, so V8
 * keeps them all in the object itself (a literal of this many fields got a separate property store), and
 * the request's own bookkeeping (whether it reached the pipeline) rides along instead of living in
 * closures. A stream keeps its context for its whole life, thousands at once (docs/architecture.md,
 * hot-path rules).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestContext } from '../pipeline/context.js';
import type { H1Request } from './h1/connection.js';
import type { H1Response } from './h1/response.js';
import type { ParsedBody } from './parse-request.js';

const EMPTY = Buffer.alloc(0);

export class ServedRequest implements RequestContext {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly path: string;
  readonly search: string;
  readonly peerIp: string;
  model = '';
  stream = false;
  body: Buffer = EMPTY;
  parsed: ParsedBody | undefined = undefined;

  attempts = 0;
  endpoint: string | undefined = undefined;
  status = 0;
  firstByteAt: number | undefined = undefined;
  errorCode: string | undefined = undefined;

  /**
   * Whether the request reached the pipeline: it holds a place in the retry budget's in-flight count and
   * `request.start` was emitted (a request refused before gets a bare one at the end).
   */
  started = false;

  constructor(
    readonly id: string,
    req: H1Request,
    readonly res: H1Response,
    /** The client address after trusted-proxy resolution. */
    readonly clientIp: string,
    readonly startedAt: number,
  ) {
    const url = req.url;
    const q = url.indexOf('?');
    this.method = req.method;
    this.headers = req.headers;
    this.path = q === -1 ? url : url.slice(0, q);
    this.search = q === -1 ? '' : url.slice(q);
    const peer = req.socket.remoteAddress ?? '';
    this.peerIp = peer.startsWith('::ffff:') ? peer.slice(7) : peer;
  }

  get clientAborted(): boolean {
    const res = this.res;
    return res.closed && !res.writableFinished;
  }

  /** Takes the request body and what routing read from it. */
  setBody(body: Buffer, parsed: ParsedBody | undefined): void {
    this.body = body;
    this.parsed = parsed;
    this.model = parsed?.model ?? '';
    this.stream = parsed?.stream ?? false;
  }

  releaseBody(): void {
    this.body = EMPTY;
    this.parsed = undefined;
  }
}
