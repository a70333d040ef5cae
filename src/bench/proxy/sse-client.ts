/**
 * The SSE side of the bench's load generator: open one stream and check it, as cheaply as a client can.
 *
 * The client shares the machine with the proxy under test, so every microsecond it spends per chunk is taken
 * from the contender. With undici's `request()` and `for await` over the body, the client cost about 33 µs
 * per chunk (a Readable stream, an async iterator and a promise per chunk), more than NGINX spent relaying
 * it; at 5,000 open streams it kept most of a core busy and pushed the whole machine past saturation. An
 * undici dispatch handler brought that to about 18 µs; a plain socket with a minimal response reader
 * (response-reader.ts) and a synchronous check of each chunk costs less again (docs/benchmarks.md, run 8).
 * The checks are unchanged: every `data:` event numbered 0, 1, 2, … in order, then `[DONE]`, then nothing.
 */
import net from 'node:net';
import { ResponseReader } from './response-reader.js';

const DATA = 'data: ';
const DONE_EVENT = 'data: [DONE]';
const SEQ_MARK = '"content":"t';

/**
 * Checks one SSE body pushed piece by piece: `push` returns a failure reason as soon as the stream is wrong,
 * `end` whether it was complete. Events may be split anywhere across pieces.
 */
export class StreamChecker {
  #buffered = '';
  #expected = 0;
  #done = false;
  #failure: string | undefined;

  /**
   * @param chunks the number of numbered events the stream must carry before `[DONE]`
   * @param onFirst called once, when event 0 arrives (time to first chunk)
   */
  constructor(
    private readonly chunks: number,
    private readonly onFirst: () => void,
  ) {}

  /** Feeds one piece of the body; returns the failure reason once the stream is known to be wrong. */
  push(piece: Buffer): string | undefined {
    if (this.#failure !== undefined) return this.#failure;
    // The events are ASCII, so latin1 decoding is exact and the cheapest there is.
    let text = this.#buffered + piece.toString('latin1');
    let end = text.indexOf('\n\n');
    while (end !== -1) {
      const failure = this.#event(text.slice(0, end));
      if (failure !== undefined) {
        this.#failure = failure;
        return failure;
      }
      text = text.slice(end + 2);
      end = text.indexOf('\n\n');
    }
    this.#buffered = text;
    return undefined;
  }

  /** The body ended: the failure reason, or undefined when the stream was complete and in order. */
  end(): string | undefined {
    if (this.#failure !== undefined) return this.#failure;
    if (!this.#done) return `ended without [DONE] after ${this.#expected}/${this.chunks} chunks`;
    if (this.#expected !== this.chunks) return `got ${this.#expected}/${this.chunks} chunks`;
    return undefined;
  }

  #event(event: string): string | undefined {
    if (!event.startsWith(DATA)) return undefined;
    if (this.#done) return 'data after [DONE]';
    if (event === DONE_EVENT) {
      this.#done = true;
      return undefined;
    }
    const seq = sequenceNumber(event);
    if (seq === undefined) return `unparseable chunk: ${event.slice(0, 80)}`;
    if (seq !== this.#expected) return `chunk ${seq} arrived when ${this.#expected} was expected`;
    if (seq === 0) this.onFirst();
    this.#expected++;
    return undefined;
  }
}

/** The `n` of a bench event's `"content":"t<n> "`, or undefined when the event has none. */
function sequenceNumber(event: string): number | undefined {
  const at = event.indexOf(SEQ_MARK);
  if (at === -1) return undefined;
  let i = at + SEQ_MARK.length;
  let n = 0;
  let digits = 0;
  for (; i < event.length; i++) {
    const c = event.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
    digits++;
  }
  return digits > 0 && event[i] === ' ' && digits <= 9 ? n : undefined;
}

/** What {@link openStream} sends. */
export interface StreamRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * Where streams go: an address and the request's bytes, encoded once for every stream. It also holds the
 * connections of completed streams open until {@link StreamTarget.closeAll}, as a client with a keep-alive
 * pool would: closing each one as its stream ends would add that work to the proxy's measured window.
 */
export class StreamTarget {
  readonly host: string;
  readonly port: number;
  readonly bytes: Buffer;
  readonly #idle: net.Socket[] = [];

  constructor(url: string, request: StreamRequest) {
    const u = new URL(url);
    this.host = u.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(u.port || 80);
    const body = Buffer.from(request.body);
    const headers = Object.entries(request.headers).map(([k, v]) => `${k}: ${v}\r\n`);
    const head = `POST ${request.path} HTTP/1.1\r\nHost: ${u.host}\r\n${headers.join('')}content-length: ${body.length}\r\n\r\n`;
    this.bytes = Buffer.concat([Buffer.from(head, 'latin1'), body]);
  }

  /** Keeps a finished stream's connection open (not reused) until `closeAll`. */
  keep(socket: net.Socket): void {
    this.#idle.push(socket);
  }

  /** Closes the connections kept by `keep`. */
  closeAll(): void {
    for (const socket of this.#idle.splice(0)) socket.destroy();
  }
}

/**
 * Opens a connection to `target`, sends its request and checks the SSE answer; resolves with a failure
 * reason, or undefined when the stream was complete and in order. Never rejects. One connection per stream
 * (a ramp's streams are all open at once, so a pool would never reuse one); after a complete response it
 * stays open, held by `target`, and a failed stream's connection is closed at once.
 */
export function openStream(
  target: StreamTarget,
  chunks: number,
  onFirst: () => void,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const checker = new StreamChecker(chunks, onFirst);
    let status = 0;
    let settled = false;
    const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
    const settle = (reason: string | undefined): void => {
      if (settled) return;
      settled = true;
      if (reason === undefined && reader.done && !socket.destroyed) {
        // Whatever the server sends now is not part of this stream; its closing is not a failure.
        socket.removeAllListeners('data');
        socket.removeAllListeners('end');
        socket.removeAllListeners('close');
        target.keep(socket);
      } else socket.destroy();
      resolve(reason);
    };
    const reader = new ResponseReader({
      head(code) {
        status = code;
      },
      body(piece) {
        // A non-200 body is read and dropped.
        if (status !== 200) return;
        const failure = checker.push(piece);
        if (failure !== undefined) settle(failure);
      },
      end() {
        settle(status === 200 ? checker.end() : `status ${status}`);
      },
      error(reason) {
        settle(reason);
      },
    });
    socket.on('data', (bytes: Buffer) => reader.push(bytes));
    socket.on('end', () => reader.close());
    socket.on('close', () => {
      reader.close();
      settle('connection closed');
    });
    socket.on('error', (err) => settle(err.message));
    socket.write(target.bytes);
  });
}
