/**
 * An incremental, strict HTTP/1.1 request parser: the first part of the data plane's own HTTP server, which
 * replaces node:http there (docs/benchmarks.md, run 18: Node's HTTP server was most of the heap and CPU
 * Fulcrum spent per open stream above a plain byte relay).
 *
 * It accepts what RFC 9112 says a request is and refuses the rest with the status a client should see:
 * - 400 for a malformed request line or header, a method outside HTTP's own (CONNECT included), a bare CR
 *   or LF, obsolete line folding, whitespace before a colon, control characters in a value, a bad or
 *   repeated Content-Length, an ambiguous Transfer-Encoding, Content-Length together with
 *   Transfer-Encoding, Transfer-Encoding in HTTP/1.0, more than one Host, or an HTTP/1.1 request without
 *   one (the shapes request smuggling is built from);
 * - 414 for a request target over the limit, 431 for too many or too large header fields;
 * - 417 for an `Expect` other than `100-continue`, 501 for a transfer coding other than `chunked`, 505 for
 *   an HTTP version other than 1.0 and 1.1.
 * Headers come out as node:http presents them (lower-case names, repeated fields joined or dropped the same
 * way), so the rest of the data plane reads them unchanged. Bodies come out de-chunked, as views of the
 * caller's buffer. The parser stops at the end of each request; the caller resets it for the next one, which
 * is how pipelined requests are answered one at a time.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ChunkedDecoder } from '../../core/chunked-decoder.js';
import { HeadReader, type HeadReaderErrors, hasToken } from '../../core/head-reader.js';

export interface RequestParserLimits {
  /** Largest request head (request line and header fields), bytes; 431 beyond. */
  maxHeadBytes: number;
  /** Most header fields; 431 beyond. */
  maxHeaders: number;
  /** Longest request target, bytes; 414 beyond. */
  maxTargetBytes: number;
  /** Longest chunk-size line, and longest trailer section, of a chunked body; 400 beyond. */
  maxLineBytes: number;
}

/** A parsed request head. */
export interface RequestHead {
  method: string;
  /** The request target as sent. */
  url: string;
  httpVersion: '1.0' | '1.1';
  headers: IncomingHttpHeaders;
  /** Whether the connection may carry another request after this one (version and `Connection`). */
  keepAlive: boolean;
  /** The client sent `Expect: 100-continue` and waits for a go-ahead before its body. */
  expectContinue: boolean;
  /** The body's framing: `chunked`, or a length (0 when there is no body). */
  chunked: boolean;
  contentLength: number;
}

export interface RequestSink {
  /** A complete request head. */
  head(head: RequestHead): void;
  /** Body bytes, de-chunked: a view into the parser's input, valid only during the call. */
  body(chunk: Buffer): void;
  /** The request is complete; the parser stops right after its last byte. */
  complete(): void;
}

/** A request the parser refuses, with the status to answer it with. The connection cannot be reused. */
export class RequestParseError extends Error {
  constructor(
    readonly status: 400 | 414 | 417 | 431 | 501 | 505,
    message: string,
  ) {
    super(message);
  }
}

const CR = 0x0d;
const LF = 0x0a;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([^\x00-\x20\x7f]+) HTTP\/(\d)\.(\d)$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Control characters other than HTAB, which a field value may not hold. */
const VALUE_CTL = /[\x00-\x08\x0a-\x1f\x7f]/;
const DIGITS = /^\d{1,15}$/;
/** Leading empty lines before a request line that are skipped (RFC 9112 §2.2: "at least one"). */
const MAX_LEADING_EMPTY_LINES = 8;

/** The methods a request may use (RFC 9110 §9 and PATCH, RFC 5789), CONNECT excepted. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'PATCH']);

/** Fields node:http keeps only the first of when repeated (`IncomingMessage#headers`). */
const FIRST_WINS = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

enum State {
  Head,
  Length,
  Chunked,
  Done,
}

function bad(message: string): RequestParseError {
  return new RequestParseError(400, message);
}

/** Shared by every parser: no closures per connection (docs/architecture.md, hot-path rules). */
const HEAD_ERRORS: HeadReaderErrors = {
  tooLarge: () => new RequestParseError(431, 'The request head is too large.'),
  bareLf: () => bad('A request head line ends without CR.'),
};

export class RequestParser {
  #state = State.Head;
  readonly #head: HeadReader;
  #emptyLines = 0;
  #remaining = 0;
  #stop = false;
  /** Made on the first chunked body: most connections never see one. */
  #chunked: ChunkedDecoder | undefined;

  constructor(
    private readonly sink: RequestSink,
    private readonly limits: RequestParserLimits,
  ) {
    this.#head = new HeadReader(limits.maxHeadBytes, HEAD_ERRORS);
  }

  /** Prepares for the next request on the connection. */
  reset(): void {
    this.#state = State.Head;
    this.#head.reset();
    this.#emptyLines = 0;
    this.#stop = false;
  }

  /** True once the current request is complete. */
  get done(): boolean {
    return this.#state === State.Done;
  }

  /** True while no byte of the next request head has arrived (the connection is idle, not mid-head). */
  get idle(): boolean {
    return this.#state === State.Head && this.#head.held === 0;
  }

  /** Makes {@link execute} return after the current callback. */
  stop(): void {
    this.#stop = true;
  }

  /**
   * Parses `buf[start, end)`. Returns the offset where it stopped: `end`, or earlier when the request
   * completed or {@link stop} was called. Throws {@link RequestParseError} on a request it refuses.
   */
  execute(buf: Buffer, start: number, end: number): number {
    this.#stop = false;
    let at = start;
    while (at < end && !this.#stop && this.#state !== State.Done) {
      if (this.#state === State.Head) at = this.#readHead(buf, at, end);
      else if (this.#state === State.Length) at = this.#counted(buf, at, end);
      else {
        const chunked = this.#chunked!;
        at = chunked.step(buf, at, end, this.sink);
        if (chunked.done) this.#finish();
      }
    }
    return at;
  }

  #finish(): void {
    this.#state = State.Done;
    this.sink.complete();
  }

  #counted(buf: Buffer, at: number, end: number): number {
    const to = at + Math.min(this.#remaining, end - at);
    this.#remaining -= to - at;
    this.sink.body(buf.subarray(at, to));
    if (this.#remaining === 0) this.#finish();
    return to;
  }

  #readHead(buf: Buffer, at: number, end: number): number {
    // Empty lines before the request line are skipped, a few of them (robustness, RFC 9112 §2.2).
    while (this.#head.held === 0 && end - at >= 2 && buf[at] === CR && buf[at + 1] === LF) {
      if (++this.#emptyLines > MAX_LEADING_EMPTY_LINES) throw bad('Too many empty lines before the request.');
      at += 2;
    }
    if (at >= end) return at;
    const head = this.#head.read(buf, at, end);
    if (!head) return end;
    this.#onHead(head.text);
    return head.end;
  }

  #onHead(text: string): void {
    const lines = text.split('\r\n');
    const requestLine = REQUEST_LINE.exec(lines[0]!);
    if (!requestLine) throw bad('The request line is malformed.');
    const [, method, url, major, minor] = requestLine as unknown as [string, string, string, string, string];
    // Methods outside HTTP's own are refused, as llhttp does; CONNECT too (a tunnel is not an API call).
    if (!METHODS.has(method)) throw bad(`Method ${method.slice(0, 32)} is not supported.`);
    if (major !== '1' || (minor !== '0' && minor !== '1')) {
      throw new RequestParseError(505, `HTTP/${major}.${minor} is not supported.`);
    }
    if (Buffer.byteLength(url, 'latin1') > this.limits.maxTargetBytes) {
      throw new RequestParseError(
        414,
        `The request target is longer than ${this.limits.maxTargetBytes} bytes.`,
      );
    }
    if (lines.length - 1 > this.limits.maxHeaders) {
      throw new RequestParseError(431, `More than ${this.limits.maxHeaders} request header fields.`);
    }
    const headers: IncomingHttpHeaders = {};
    let hosts = 0;
    const lengths: string[] = [];
    const codings: string[] = [];
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.includes('\r') || line.includes('\n'))
        throw bad('A request header line holds a bare CR or LF.');
      const colon = line.indexOf(':');
      if (colon <= 0) {
        throw bad(
          line.startsWith(' ') || line.startsWith('\t')
            ? 'Folded header lines are not allowed.'
            : 'A request header line has no name.',
        );
      }
      const name = line.slice(0, colon);
      if (!TOKEN.test(name)) throw bad('A request header name is not a token.');
      const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
      if (VALUE_CTL.test(value)) throw bad('A request header value holds a control character.');
      const key = name.toLowerCase();
      if (key === 'host') hosts++;
      else if (key === 'content-length') lengths.push(value);
      else if (key === 'transfer-encoding') codings.push(value);
      addHeader(headers, key, value);
    }
    const http11 = minor === '1';
    if (hosts > 1) throw bad('More than one Host header.');
    if (hosts === 0 && http11) throw bad('HTTP/1.1 requests must carry a Host header.');

    let chunked = false;
    let contentLength = 0;
    if (codings.length > 0) {
      if (!http11) throw bad('Transfer-Encoding is not allowed in HTTP/1.0.');
      if (lengths.length > 0) throw bad('A request may not carry both Content-Length and Transfer-Encoding.');
      const list = codings
        .join(',')
        .toLowerCase()
        .split(',')
        .map((c) => c.trim());
      // `chunked` more than once, or not last, leaves the body's end ambiguous: refused as llhttp does.
      const chunkedAt = list.indexOf('chunked');
      if (chunkedAt !== -1 && (chunkedAt !== list.length - 1 || list.lastIndexOf('chunked') !== chunkedAt)) {
        throw bad('The Transfer-Encoding is ambiguous.');
      }
      if (list.length !== 1 || chunkedAt !== 0) {
        throw new RequestParseError(501, 'Only `Transfer-Encoding: chunked` is supported.');
      }
      chunked = true;
    } else if (lengths.length > 0) {
      // One Content-Length field with one value: repeats, even equal ones, are refused as llhttp does.
      if (lengths.length > 1 || !DIGITS.test(lengths[0]!)) throw bad('The Content-Length is invalid.');
      contentLength = Number(lengths[0]);
    }

    const expect = headers.expect;
    let expectContinue = false;
    if (expect !== undefined) {
      if (expect.toLowerCase() !== '100-continue') {
        throw new RequestParseError(417, `Expectation \`${expect.slice(0, 100)}\` is not supported.`);
      }
      expectContinue = true;
    }
    const connection = (headers.connection ?? '').toLowerCase();
    const keepAlive = http11 ? !hasToken(connection, 'close') : hasToken(connection, 'keep-alive');

    this.#state = chunked ? State.Chunked : contentLength > 0 ? State.Length : State.Done;
    if (chunked) {
      this.#chunked ??= new ChunkedDecoder(this.limits.maxLineBytes, bad);
      this.#chunked.reset();
    }
    this.#remaining = contentLength;
    this.sink.head({
      method,
      url,
      httpVersion: http11 ? '1.1' : '1.0',
      headers,
      keepAlive,
      expectContinue,
      chunked,
      contentLength,
    });
    if (this.#state === State.Done) this.sink.complete();
  }
}

/** Adds a field as node:http's `IncomingMessage#headers` would show it. */
function addHeader(headers: IncomingHttpHeaders, key: string, value: string): void {
  const prior = headers[key];
  if (prior === undefined) {
    headers[key] = key === 'set-cookie' ? [value] : value;
  } else if (key === 'set-cookie') {
    (prior as string[]).push(value);
  } else if (!FIRST_WINS.has(key)) {
    headers[key] = `${prior}${key === 'cookie' ? '; ' : ', '}${value}`;
  }
}
