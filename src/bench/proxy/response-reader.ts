/**
 * A minimal HTTP/1.1 response reader for the bench's stream client: the status line, the headers it needs
 * for framing, and the body decoded from chunked encoding, Content-Length or connection close. It exists
 * because the client shares the machine with the proxy under test: a general HTTP client spends several
 * times more per received chunk than this does (see sse-client.ts). It is not a general parser: one
 * response per reader, no 1xx, no trailers kept, and it trusts the peer to be a working HTTP server, which
 * every contender is; anything it cannot read is reported as a failure, never guessed.
 */

/** What the reader reports, in order: the head once, body pieces, then the end or an error. */
export interface ResponseSink {
  head(status: number): void;
  body(piece: Buffer): void;
  /** The response is complete. */
  end(): void;
  error(reason: string): void;
}

const MAX_HEAD_BYTES = 64 * 1024;

type State = 'head' | 'size' | 'data' | 'data-crlf' | 'trailers' | 'length' | 'close' | 'done';

/** Feeds raw bytes of one response in with `push`, and `close` when the connection ends. */
export class ResponseReader {
  #state: State = 'head';
  #head = '';
  /** Body bytes still due in the current chunk (chunked) or in the whole body (Content-Length). */
  #remaining = 0;
  #line = '';

  constructor(private readonly sink: ResponseSink) {}

  /** True once the response has ended or failed. */
  get done(): boolean {
    return this.#state === 'done';
  }

  push(bytes: Buffer): void {
    let at = 0;
    while (at < bytes.length && this.#state !== 'done') {
      at = this.#step(bytes, at);
    }
  }

  /** The connection closed: the end of a close-delimited body, otherwise a truncated response. */
  close(): void {
    if (this.#state === 'done') return;
    if (this.#state === 'close') this.#finish();
    else this.#fail(`connection closed mid-response (${this.#state})`);
  }

  #step(bytes: Buffer, at: number): number {
    switch (this.#state) {
      case 'head':
        return this.#readHead(bytes, at);
      case 'size':
      case 'trailers':
      case 'data-crlf':
        return this.#readLine(bytes, at);
      case 'data':
      case 'length': {
        const take = Math.min(this.#remaining, bytes.length - at);
        this.sink.body(at === 0 && take === bytes.length ? bytes : bytes.subarray(at, at + take));
        this.#remaining -= take;
        if (this.#remaining === 0) {
          if (this.#state === 'length') this.#finish();
          else this.#state = 'data-crlf';
        }
        return at + take;
      }
      case 'close':
        this.sink.body(at === 0 ? bytes : bytes.subarray(at));
        return bytes.length;
      case 'done':
        return bytes.length;
    }
  }

  #readHead(bytes: Buffer, at: number): number {
    const text = bytes.toString('latin1', at);
    const before = this.#head.length;
    this.#head += text;
    const end = this.#head.indexOf('\r\n\r\n');
    if (end === -1) {
      if (this.#head.length > MAX_HEAD_BYTES) this.#fail('response head too large');
      return bytes.length;
    }
    const consumed = at + (end + 4 - before);
    const lines = this.#head.slice(0, end).split('\r\n');
    this.#head = '';
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!status) {
      this.#fail(`bad status line: ${(lines[0] ?? '').slice(0, 80)}`);
      return bytes.length;
    }
    let chunked = false;
    let length: number | undefined;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'transfer-encoding') chunked = value.toLowerCase().split(',').pop()?.trim() === 'chunked';
      else if (name === 'content-length') length = Number(value);
    }
    this.sink.head(Number(status[1]));
    if (chunked) this.#state = 'size';
    else if (length !== undefined && Number.isInteger(length) && length >= 0) {
      this.#remaining = length;
      this.#state = 'length';
      if (length === 0) this.#finish();
    } else this.#state = 'close';
    return consumed;
  }

  /** Reads up to a CRLF (chunk size, the CRLF after chunk data, or trailers) and acts on the line. */
  #readLine(bytes: Buffer, at: number): number {
    const nl = bytes.indexOf(0x0a, at);
    const upTo = nl === -1 ? bytes.length : nl + 1;
    this.#line += bytes.toString('latin1', at, upTo);
    if (this.#line.length > 1024) {
      this.#fail('chunk framing line too long');
      return bytes.length;
    }
    if (nl === -1) return upTo;
    const line = this.#line.replace(/\r?\n$/, '');
    this.#line = '';
    if (this.#state === 'data-crlf') {
      if (line !== '') this.#fail('missing CRLF after chunk data');
      else this.#state = 'size';
    } else if (this.#state === 'trailers') {
      if (line === '') this.#finish();
    } else {
      const size = Number.parseInt(line.split(';', 1)[0]!.trim(), 16);
      if (!Number.isFinite(size) || size < 0) this.#fail(`bad chunk size line: ${line.slice(0, 40)}`);
      else if (size === 0) this.#state = 'trailers';
      else {
        this.#remaining = size;
        this.#state = 'data';
      }
    }
    return upTo;
  }

  #finish(): void {
    this.#state = 'done';
    this.sink.end();
  }

  #fail(reason: string): void {
    this.#state = 'done';
    this.sink.error(reason);
  }
}
