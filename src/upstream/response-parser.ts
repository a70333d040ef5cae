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
  ChunkSize,
  /** Whitespace after the size: only more of it, `;` or the line end may follow (RFC 9112 §7.1.1 BWS). */
  ChunkSizeWs,
  ChunkExt,
  ChunkSizeLf,
  ChunkData,
  ChunkDataCr,
  ChunkDataLf,
  Trailer,
  Close,
  Done,
}

const CR = 0x0d;
const LF = 0x0a;
const HEAD_END = Buffer.from('\r\n\r\n');
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/;
/** Largest chunk we accept: 2^40 bytes, far past anything real, and safe in a double. */
const MAX_CHUNK = 2 ** 40;

function bad(message: string): UpstreamError {
  return new UpstreamError('UPSTREAM_BAD_RESPONSE', message);
}

export class ResponseParser {
  #state = State.Head;
  #expectBody = true;
  /** Head bytes of an unfinished head, when it spans reads. */
  #headParts: Buffer[] = [];
  #headBytes = 0;
  #remaining = 0;
  #lineBytes = 0;
  /** Trailer section: whether the current line is empty so far. */
  #lineEmpty = true;
  #prevCr = false;
  #stop = false;
  /** Whether the connection may carry another request after this response. */
  keepAlive = false;
  /** The endpoint's `Keep-Alive: timeout=N` hint, ms. */
  keepAliveHintMs: number | undefined;

  constructor(
    private readonly sink: ResponseSink,
    private readonly limits: ParserLimits = DEFAULT_PARSER_LIMITS,
  ) {}

  /** Prepares for the next response; `expectBody` is false for a HEAD request. */
  reset(expectBody: boolean): void {
    this.#state = State.Head;
    this.#expectBody = expectBody;
    this.#headParts.length = 0;
    this.#headBytes = 0;
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
        case State.ChunkData:
          at = this.#counted(buf, at, end);
          break;
        case State.Close:
          this.sink.body(buf.subarray(at, end));
          at = end;
          break;
        case State.Done:
          return at;
        default:
          at = this.#framing(buf, at, end);
      }
      if (this.done) return at;
    }
    return at;
  }

  /** Body bytes of a known count (a Content-Length body, or one chunk's data). */
  #counted(buf: Buffer, at: number, end: number): number {
    const to = at + Math.min(this.#remaining, end - at);
    this.#remaining -= to - at;
    const last = this.#remaining === 0;
    if (last) this.#state = this.#state === State.Length ? State.Done : State.ChunkDataCr;
    this.sink.body(buf.subarray(at, to));
    if (last && this.#state === State.Done) this.sink.complete();
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
    // The end of the head may straddle reads: search from 3 bytes back into what we already hold.
    const held = this.#headBytes;
    let endAt: number;
    let head: Buffer;
    if (held === 0) {
      const found = buf.subarray(at, end).indexOf(HEAD_END);
      if (found !== -1) {
        head = buf.subarray(at, at + found);
        endAt = at + found + 4;
      } else {
        return this.#holdHead(buf, at, end);
      }
    } else {
      const joined = Buffer.concat([...this.#headParts, buf.subarray(at, end)]);
      const found = joined.indexOf(HEAD_END, Math.max(0, held - 3));
      if (found === -1) return this.#holdHead(buf, at, end);
      head = joined.subarray(0, found);
      endAt = at + (found + 4 - held);
      this.#headParts.length = 0;
      this.#headBytes = 0;
    }
    if (head.length + 4 > this.limits.maxHeadBytes) throw bad('The response head is too large.');
    this.#onHead(head.toString('latin1'));
    return endAt;
  }

  #holdHead(buf: Buffer, at: number, end: number): number {
    // A bare LF would never complete the CRLF CRLF we wait for: refuse it now rather than at a timeout.
    for (let i = buf.indexOf(LF, at); i !== -1 && i < end; i = buf.indexOf(LF, i + 1)) {
      const before = i > at ? buf[i - 1] : this.#headParts.at(-1)?.at(-1);
      if (before !== CR) throw bad('A response head line ends without CR.');
    }
    this.#headBytes += end - at;
    if (this.#headBytes > this.limits.maxHeadBytes) throw bad('The response head is too large.');
    this.#headParts.push(Buffer.from(buf.subarray(at, end)));
    return end;
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
      this.#state = State.ChunkSize;
      this.#remaining = 0;
      this.#lineBytes = 0;
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

  /** The chunked framing bytes between data: size lines, CRLFs after data, trailers. */
  #framing(buf: Buffer, at: number, end: number): number {
    const limit = this.limits.maxLineBytes;
    while (at < end) {
      const byte = buf[at++]!;
      if (++this.#lineBytes > limit) throw bad('A chunk-size line or the trailers are too long.');
      switch (this.#state) {
        case State.ChunkSize: {
          const digit = hexValue(byte);
          if (digit >= 0) {
            this.#remaining = this.#remaining * 16 + digit;
            if (this.#remaining > MAX_CHUNK) throw bad('A chunk is too large.');
            continue;
          }
          if (this.#lineBytes === 1) throw bad('A chunk-size line has no size.');
          if (byte === CR) this.#state = State.ChunkSizeLf;
          else if (byte === 0x3b) this.#state = State.ChunkExt;
          else if (byte === 0x20 || byte === 0x09) this.#state = State.ChunkSizeWs;
          else throw bad('A chunk-size line is malformed.');
          continue;
        }
        case State.ChunkSizeWs:
          if (byte === CR) this.#state = State.ChunkSizeLf;
          else if (byte === 0x3b) this.#state = State.ChunkExt;
          else if (byte !== 0x20 && byte !== 0x09) throw bad('A chunk-size line is malformed.');
          continue;
        case State.ChunkExt:
          if (byte === CR) this.#state = State.ChunkSizeLf;
          else if (byte < 0x20 && byte !== 0x09) throw bad('A chunk extension holds a control character.');
          continue;
        case State.ChunkSizeLf:
          if (byte !== LF) throw bad('A chunk-size line ends without LF.');
          this.#lineBytes = 0;
          if (this.#remaining === 0) {
            this.#state = State.Trailer;
            this.#lineEmpty = true;
            this.#prevCr = false;
          } else {
            this.#state = State.ChunkData;
            return at;
          }
          continue;
        case State.ChunkDataCr:
          if (byte !== CR) throw bad('A chunk is longer than its size.');
          this.#state = State.ChunkDataLf;
          continue;
        case State.ChunkDataLf:
          if (byte !== LF) throw bad('A chunk does not end with CRLF.');
          this.#state = State.ChunkSize;
          this.#remaining = 0;
          this.#lineBytes = 0;
          return at;
        case State.Trailer:
          // Trailers are read and dropped (we do not forward them), bounded by maxLineBytes in total.
          if (byte === LF) {
            if (!this.#prevCr) throw bad('A trailer line ends without CR.');
            if (this.#lineEmpty) {
              this.#state = State.Done;
              this.sink.complete();
              return at;
            }
            this.#lineEmpty = true;
          } else if (this.#prevCr) {
            throw bad('A trailer line holds a bare CR.');
          } else if (byte !== CR) {
            this.#lineEmpty = false;
          }
          this.#prevCr = byte === CR;
          continue;
        default:
          return at - 1;
      }
    }
    return at;
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  return -1;
}

function lowerJoined(value: string | string[] | undefined): string {
  if (value === undefined) return '';
  return (Array.isArray(value) ? value.join(',') : value).toLowerCase();
}

function hasToken(list: string, token: string): boolean {
  if (list === '') return false;
  return list.split(',').some((s) => s.trim() === token);
}
