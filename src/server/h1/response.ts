/**
 * The response side of the data plane's HTTP/1.1 server: the part of node:http's `ServerResponse` that
 * Fulcrum uses (`writeHead`, `write`, `end`, `flushHeaders`, `destroy`, the `close` and `drain` events and
 * the state flags), writing straight to the socket. The head waits for the first body bytes so that both
 * leave in one write, and each `write` sends one buffer: a chunked frame, or raw bytes for a body whose
 * length was declared. There is no stream state and no queue of our own — the socket's is the only one.
 *
 * Not an EventEmitter: its listener store is a null-prototype object, which V8 keeps as a dictionary of
 * about 200 bytes, and an open stream holds its response for its whole life. A response has three events
 * and one or two listeners; a short array does.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/** Header values as `writeHead` takes them. */
export type OutgoingHeaders = Record<string, string | number | readonly string[] | undefined>;

/**
 * What the data plane needs of a response. node:http's `ServerResponse` has all of it but `writeNow`, so code
 * shared with the admin listener (errors in OpenAI's shape) takes either.
 */
export interface DataPlaneResponse {
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly writableFinished: boolean;
  readonly destroyed: boolean;
  readonly socket: Socket | null;
  writeHead(status: number, headers?: OutgoingHeaders): this;
  write(chunk: Buffer | string): boolean;
  /** Sends body bytes at once (a stream's event), not at the end of the microtask as `write` does. */
  writeNow(chunk: Buffer): boolean;
  end(chunk?: Buffer | string): this;
  flushHeaders(): void;
  destroy(error?: Error): this;
  on(event: 'close' | 'drain' | 'error', listener: () => void): this;
  once(event: 'close' | 'drain' | 'error', listener: () => void): this;
  off(event: 'close' | 'drain' | 'error', listener: () => void): this;
}

/** What a response tells the connection it belongs to. */
export interface ResponseOwner {
  /** The response's last bytes were handed to the socket; `close`: the connection must close after them. */
  ended(res: H1Response, close: boolean): void;
}

/** The request facts that decide how the response is framed. */
export interface ResponseFraming {
  /** A HEAD request: headers only, whatever they announce. */
  head: boolean;
  /** An HTTP/1.0 client: no chunked coding, so a body of unknown length is delimited by closing. */
  http10: boolean;
  /** Whether the connection may carry another request afterwards. */
  keepAlive: boolean;
  /** Advertised in `Keep-Alive: timeout=N` (seconds), as node:http does; 0: no idle timeout, not advertised. */
  keepAliveTimeoutSec: number;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What node:http refuses in a header value (`ERR_INVALID_CHAR`). */
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const LAST_CHUNK = '0\r\n\r\n';
const EMPTY = Buffer.alloc(0);

let dateSecond = 0;
let dateValue = '';
/** The `Date` header, formatted once a second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateValue = new Date(now).toUTCString();
  }
  return dateValue;
}

function invalidHeader(name: string): TypeError {
  return Object.assign(new TypeError(`Invalid response header: ${JSON.stringify(name.slice(0, 100))}`), {
    code: 'ERR_INVALID_CHAR',
  });
}

type ResponseEvent = 'close' | 'drain' | 'error';

/** One listener registration. */
interface Registration {
  readonly event: ResponseEvent;
  readonly listener: () => void;
  readonly once: boolean;
}

export class H1Response implements DataPlaneResponse {
  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  destroyed = false;
  /** Whether the body goes out in chunked frames (no length declared, HTTP/1.1, a body allowed). */
  chunkedEncoding = false;
  /** The serialised head, until it leaves with the first body bytes. */
  #head: string | undefined;
  #bodyless = false;
  #closeAfter = false;
  #closed = false;
  /** Body frames written in this microtask, sent together at its end (or with the end of the response). */
  #queued: Buffer[] | undefined;
  /** Listeners, in the order they were added. */
  #listeners: Registration[] | undefined;

  // The framing facts, as fields rather than the caller's object: one object less per open stream.
  readonly #headRequest: boolean;
  readonly #http10: boolean;
  readonly #keepAlive: boolean;
  readonly #keepAliveTimeoutSec: number;

  constructor(
    readonly socket: Socket,
    private readonly owner: ResponseOwner,
    framing: ResponseFraming,
    /** True once the server is shutting down: responses then close their connection. */
    private readonly shuttingDown: () => boolean,
  ) {
    this.#headRequest = framing.head;
    this.#http10 = framing.http10;
    this.#keepAlive = framing.keepAlive;
    this.#keepAliveTimeoutSec = framing.keepAliveTimeoutSec;
  }

  /** Calls `listener` on every `event` (`close` comes once; `error` never, it is there for the interface). */
  on(event: ResponseEvent, listener: () => void): this {
    this.#register({ event, listener, once: false });
    return this;
  }

  /** Calls `listener` on the next `event` only. */
  once(event: ResponseEvent, listener: () => void): this {
    this.#register({ event, listener, once: true });
    return this;
  }

  #register(registration: Registration): void {
    if (this.#listeners) this.#listeners.push(registration);
    else this.#listeners = [registration];
  }

  /** Removes the latest registration of `listener` for `event`, as EventEmitter's `off` does. */
  off(event: ResponseEvent, listener: () => void): this {
    const all = this.#listeners;
    if (!all) return this;
    for (let i = all.length - 1; i >= 0; i--) {
      const r = all[i]!;
      if (r.event === event && r.listener === listener) {
        all.splice(i, 1);
        break;
      }
    }
    return this;
  }

  /** Runs the listeners of `event` registered now (a `once` one is removed first); true if there were any. */
  emit(event: ResponseEvent): boolean {
    const all = this.#listeners;
    if (!all) return false;
    const due = all.filter((r) => r.event === event);
    if (due.length === 0) return false;
    for (const r of due) if (r.once) all.splice(all.indexOf(r), 1);
    for (const r of due) r.listener.call(this);
    return true;
  }

  /** True once the response finished or its connection went away (`close` was emitted). */
  get closed(): boolean {
    return this.#closed;
  }

  writeHead(status: number, headers: OutgoingHeaders = {}): this {
    if (this.headersSent) {
      throw Object.assign(new Error('Cannot write headers after they are sent.'), {
        code: 'ERR_HTTP_HEADERS_SENT',
      });
    }
    if (!Number.isInteger(status) || status < 100 || status > 999) {
      throw Object.assign(new RangeError(`Invalid status code: ${status}`), {
        code: 'ERR_HTTP_INVALID_STATUS_CODE',
      });
    }
    let lines = '';
    let length = false;
    let close = false;
    let date = false;
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined) continue;
      if (!TOKEN.test(name)) throw invalidHeader(name);
      const key = name.toLowerCase();
      // Framing is ours to decide: a caller's Transfer-Encoding would contradict it.
      if (key === 'transfer-encoding') continue;
      if (key === 'content-length') length = true;
      else if (key === 'date') date = true;
      else if (key === 'connection') {
        close = String(value).toLowerCase().includes('close');
        continue;
      }
      const values = typeof value === 'object' ? value : [String(value)];
      for (const v of values) {
        if (INVALID_VALUE.test(v)) throw invalidHeader(name);
        lines += `${name}: ${v}\r\n`;
      }
    }
    const noBody = status < 200 || status === 204 || status === 304;
    this.#bodyless = noBody || this.#headRequest;
    if (!length && !noBody) {
      if (this.#http10) close = true;
      else {
        this.chunkedEncoding = true;
        lines += 'transfer-encoding: chunked\r\n';
      }
    }
    this.#closeAfter = close || !this.#keepAlive || this.shuttingDown();
    if (this.#closeAfter) lines += 'connection: close\r\n';
    else {
      lines += 'connection: keep-alive\r\n';
      const idleSec = this.#keepAliveTimeoutSec;
      if (idleSec > 0) lines += `keep-alive: timeout=${idleSec}\r\n`;
    }
    if (!date) lines += `date: ${httpDate()}\r\n`;
    this.statusCode = status;
    this.headersSent = true;
    this.#head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n${lines}\r\n`;
    return this;
  }

  /** Sends the head now if it is still waiting for body bytes (an SSE stream accepted, no token yet). */
  flushHeaders(): void {
    if (!this.headersSent) this.writeHead(this.statusCode);
    const head = this.#head;
    if (head === undefined || this.destroyed) return;
    this.#head = undefined;
    this.socket.write(head, 'latin1');
  }

  /**
   * Queues body bytes; they leave at the end of the current microtask, together with the end of the
   * response when it comes in the same turn (as a small answer's body does), in one write. node:http
   * defers the same way. Stream events use {@link writeNow} instead.
   */
  write(chunk: Buffer | string): boolean {
    const frame = this.#bodyFrame(chunk);
    if (frame === undefined) return !this.socket.writableNeedDrain;
    if (this.#queued) this.#queued.push(frame);
    else {
      this.#queued = [frame];
      // A closure per queued write rather than one per response: it dies young, which costs nothing.
      queueMicrotask(() => this.#flushQueued());
    }
    return !this.socket.writableNeedDrain;
  }

  /** Sends body bytes now, in one write with the head if it is still waiting: for a stream's events. */
  writeNow(chunk: Buffer): boolean {
    if (this.#queued) this.#flushQueued();
    const frame = this.#bodyFrame(chunk);
    if (frame === undefined) return !this.socket.writableNeedDrain;
    return this.socket.write(frame);
  }

  end(chunk?: Buffer | string): this {
    if (this.writableEnded || this.destroyed) return this;
    const data = chunk === undefined ? undefined : typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    // A body given whole, before any head: its length is known, as node:http declares it.
    if (!this.headersSent) this.writeHead(this.statusCode, { 'content-length': data?.length ?? 0 });
    this.writableEnded = true;
    const body = this.#bodyless || data === undefined ? EMPTY : data;
    let out = this.#frame(body, this.chunkedEncoding && !this.#bodyless);
    const queued = this.#queued;
    if (queued) {
      this.#queued = undefined;
      queued.push(out);
      out = Buffer.concat(queued);
    }
    if (out.length === 0) {
      // Nothing left to send (a declared length already written): finished once the socket holds nothing.
      queueMicrotask(() => {
        if (!this.socket.destroyed) this.writableFinished = true;
        this.emitClose();
      });
    } else {
      this.socket.write(out, (err) => {
        if (!err) this.writableFinished = true;
        this.emitClose();
      });
    }
    this.owner.ended(this, this.#closeAfter);
    return this;
  }

  /** The frame for body bytes, or undefined when nothing is to be sent but a waiting head (flushed). */
  #bodyFrame(chunk: Buffer | string): Buffer | undefined {
    if (this.writableEnded || this.destroyed) return undefined;
    if (!this.headersSent) this.writeHead(this.statusCode);
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.#bodyless || data.length === 0) {
      if (this.#head !== undefined) this.flushHeaders();
      return undefined;
    }
    return this.#frame(data, false);
  }

  #flushQueued(): void {
    const queued = this.#queued;
    this.#queued = undefined;
    if (!queued || this.destroyed) return;
    this.socket.write(queued.length === 1 ? queued[0]! : Buffer.concat(queued));
  }

  destroy(_error?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.socket.destroy();
    this.emitClose();
    return this;
  }

  /** Emits `close` once: the response finished, or its connection went away. */
  emitClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('close');
  }

  /**
   * One buffer for the socket: the waiting head, if any, then `data` — as a chunked frame when the body is
   * chunked — then the last chunk when `last`.
   */
  #frame(data: Buffer, last: boolean): Buffer {
    const head = this.#head;
    this.#head = undefined;
    const headBytes = head === undefined ? 0 : head.length;
    const chunked = this.chunkedEncoding && data.length > 0;
    const size = chunked ? data.length.toString(16) : '';
    const total = headBytes + (chunked ? size.length + 4 : 0) + data.length + (last ? LAST_CHUNK.length : 0);
    const out = Buffer.allocUnsafe(total);
    let at = head === undefined ? 0 : out.write(head, 0, 'latin1');
    if (chunked) {
      at += out.write(size, at, 'latin1');
      out[at++] = 0x0d;
      out[at++] = 0x0a;
    }
    at += data.copy(out, at);
    if (chunked) {
      out[at++] = 0x0d;
      out[at++] = 0x0a;
    }
    if (last) out.write(LAST_CHUNK, at, 'latin1');
    return out;
  }
}
