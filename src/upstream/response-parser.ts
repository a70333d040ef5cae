/**
 * An incremental, strict HTTP/1.1 response parser for the upstream side of the proxy.
 *
 * Why our own: relaying a stream event through undici costs a `'readable'` tick, a `socket.read()`, a copy
 * into the WebAssembly parser's memory and a chain of handler wrappers, per event; at thousands of open
 * streams that user-space work was most of the proxy's CPU beyond the kernel's (docs/benchmarks.md, run 9).
 * This parser reads the caller's bytes in place and hands body bytes out as views.
 *
 * It accepts what RFC 9112 says a response is and rejects the rest (`UPSTREAM_BAD_RESPONSE`): a status line
 * `HTTP/1.x NNN reason`, CRLF line ends (a bare CR or LF in the head is refused: the ambiguity request
 * smuggling lives on), no obsolete line folding, token header names, one agreed Content-Length,
 * `Transfer-Encoding` only as `chunked` last. Heads and trailers are bounded ({@link ParserLimits}).
 * 1xx heads are skipped; the body of a HEAD answer, a 204 or a 304 is empty whatever the headers say.
 */
import { ChunkedDecoder } from '../core/chunked-decoder.js';
import { HeadReader, type HeadReaderErrors, hasToken } from '../core/head-reader.js';
import { UpstreamError } from './errors.js';

/** Response header values, lower-case names; a repeated header becomes an array, in order. */
export type ResponseHeaders = Record<string, string | string[]>;

export interface ResponseSink {
  /** The final (non-1xx) response head. */
  head(status: number, headers: ResponseHeaders): void;
  /** Body bytes, de-chunked: a view into the parser's input, valid only during the call. */
  body(chunk: Buffer): void;
  /** The response is complete; the parser stops at its last byte. */
  complete(): void;
}

export interface ParserLimits {
  /** Largest response head, bytes (status line and headers). */
  maxHeadBytes: number;
  /** Largest chunk-size line or trailer section, bytes. */
  maxLineBytes: number;
}

export const DEFAULT_PARSER_LIMITS: ParserLimits = { maxHeadBytes: 32 * 1024, maxLineBytes: 8 * 1024 };

enum State {
  Head,
  Length,
  Chunked,
  Close,
  Done,
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/;

function bad(message: string): UpstreamError {
  return new UpstreamError('UPSTREAM_BAD_RESPONSE', message);
}

/** Shared by every parser: no closures per connection (docs/architecture.md, hot-path rules). */
const HEAD_ERRORS: HeadReaderErrors = {
  tooLarge: () => bad('The response head is too large.'),
  bareLf: () => bad('A response head line ends without CR.'),
};

export class ResponseParser {
  #state = State.Head;
  #expectBody = true;
  /** Head bytes of an unfinished head, when it spans reads. */
  readonly #head: HeadReader;
  #remaining = 0;
  /** Made on the first chunked body: most connections never see one. */
  #chunked: ChunkedDecoder | undefined;
  readonly #maxLineBytes: number;
  #stop = false;
  /** Whether the connection may carry another request after this response. */
  keepAlive = false;
  /** The endpoint's `Keep-Alive: timeout=N` hint, ms. */
  keepAliveHintMs: number | undefined;

  constructor(
    private readonly sink: ResponseSink,
    limits: ParserLimits = DEFAULT_PARSER_LIMITS,
  ) {
    this.#maxLineBytes = limits.maxLineBytes;
    this.#head = new HeadReader(limits.maxHeadBytes, HEAD_ERRORS);
  }

  /** Prepares for the next response; `expectBody` is false for a HEAD request. */
  reset(expectBody: boolean): void {
    this.#state = State.Head;
    this.#expectBody = expectBody;
    this.#head.reset();
    this.#stop = false;
    this.keepAlive = false;
    this.keepAliveHintMs = undefined;
  }

  /** True once the response is complete. */
  get done(): boolean {
    return this.#state === State.Done;
  }

  /** True while the body runs until the connection closes. */
  get closeDelimited(): boolean {
    return this.#state === State.Close;
  }

  /** Makes {@link execute} return after the current callback (backpressure). */
  stop(): void {
    this.#stop = true;
  }

  /**
   * Parses `buf[start, end)`. Returns the offset where it stopped: `end`, or earlier when the response
   * completed or {@link stop} was called. Throws {@link UpstreamError} on a malformed response.
   */
  execute(buf: Buffer, start: number, end: number): number {
    this.#stop = false;
    let at = start;
    while (at < end && !this.#stop) {
      switch (this.#state) {
        case State.Head:
          at = this.#readHead(buf, at, end);
          break;
        case State.Length:
          at = this.#counted(buf, at, end);
          break;
        case State.Chunked:
          at = this.#chunked!.step(buf, at, end, this.sink);
          if (this.#chunked!.done) {
            this.#state = State.Done;
            this.sink.complete();
          }
          break;
        case State.Close:
          this.sink.body(buf.subarray(at, end));
          at = end;
          break;
        case State.Done:
          return at;
      }
      if (this.done) return at;
    }
    return at;
  }

  /** Body bytes of a Content-Length body. */
  #counted(buf: Buffer, at: number, end: number): number {
    const to = at + Math.min(this.#remaining, end - at);
    this.#remaining -= to - at;
    const last = this.#remaining === 0;
    if (last) this.#state = State.Done;
    this.sink.body(buf.subarray(at, to));
    if (last) this.sink.complete();
    return to;
  }

  /** The connection reached EOF: completes a close-delimited body, or throws if the response is cut. */
  finish(): void {
    if (this.#state === State.Close) {
      this.#state = State.Done;
      this.sink.complete();
      return;
    }
    if (this.#state !== State.Done)
      throw new UpstreamError('UPSTREAM_CLOSED', 'The endpoint closed the connection mid-response.');
  }

  #readHead(buf: Buffer, at: number, end: number): number {
    const head = this.#head.read(buf, at, end);
    if (!head) return end;
    this.#onHead(head.text);
    return head.end;
  }

  #onHead(text: string): void {
    const lines = text.split('\r\n');
    const status = STATUS_LINE.exec(lines[0]!);
    if (!status) throw bad('The response has no valid status line.');
    const minor = status[1];
    const code = Number(status[2]);
    const headers: ResponseHeaders = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) throw bad('A response header line has no name.');
      const name = line.slice(0, colon);
      if (!TOKEN.test(name)) throw bad('A response header name is not a token.');
      const value = line.slice(colon + 1).trim();
      if (value.includes('\r') || value.includes('\n') || value.includes('\0'))
        throw bad('A response header value holds a control character.');
      const key = name.toLowerCase();
      const prior = headers[key];
      if (prior === undefined) headers[key] = value;
      else if (Array.isArray(prior)) prior.push(value);
      else headers[key] = [prior, value];
    }
    if (code < 200) {
      if (code === 101) throw bad('The endpoint switched protocols, which the proxy does not support.');
      return; // 100 Continue, 103 Early Hints: the final head follows.
    }
    this.#framingFrom(code, minor === '1', headers);
    this.sink.head(code, headers);
    if (this.#state === State.Done) this.sink.complete();
  }

  /** Sets the body framing and keep-alive from the final head (RFC 9112 §6.3). */
  #framingFrom(code: number, http11: boolean, headers: ResponseHeaders): void {
    const connection = lowerJoined(headers.connection);
    this.keepAlive = http11 ? !hasToken(connection, 'close') : hasToken(connection, 'keep-alive');
    const hint = /(?:^|[\s,])timeout=(\d+)/.exec(lowerJoined(headers['keep-alive']));
    this.keepAliveHintMs = hint ? Number(hint[1]) * 1000 : undefined;
    if (!this.#expectBody || code === 204 || code === 304) {
      this.#state = State.Done;
      return;
    }
    const te = headers['transfer-encoding'];
    if (te !== undefined) {
      const codings = lowerJoined(te)
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      if (codings.at(-1) !== 'chunked' || codings.indexOf('chunked') !== codings.length - 1)
        throw bad('The response has a Transfer-Encoding other than chunked.');
      // With both headers the length is ignored, and the connection must not be reused (§6.3, item 3).
      if (headers['content-length'] !== undefined) this.keepAlive = false;
      this.#chunked ??= new ChunkedDecoder(this.#maxLineBytes, bad);
      this.#chunked.reset();
      this.#state = State.Chunked;
      return;
    }
    const cl = headers['content-length'];
    if (cl !== undefined) {
      const values = (Array.isArray(cl) ? cl.join(',') : cl).split(',').map((s) => s.trim());
      const first = values[0]!;
      if (!/^\d{1,15}$/.test(first) || values.some((v) => v !== first))
        throw bad('The response has an invalid Content-Length.');
      this.#remaining = Number(first);
      this.#state = this.#remaining === 0 ? State.Done : State.Length;
      return;
    }
    this.keepAlive = false;
    this.#state = State.Close;
  }
}

function lowerJoined(value: string | string[] | undefined): string {
  if (value === undefined) return '';
  return (Array.isArray(value) ? value.join(',') : value).toLowerCase();
}
