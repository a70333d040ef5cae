/**
 * One client connection of the data plane's HTTP/1.1 server: parses requests, enforces the head and body
 * deadlines and the body size limit, buffers each request's body (Fulcrum routes on its JSON, so the whole
 * body is needed before anything is forwarded), and hands complete requests to the handler one at a time.
 *
 * Pipelined requests wait, unparsed, until the response before them has ended, so a request behind a long
 * stream is neither forwarded nor buffered in memory before the stream ends (as NGINX and HAProxy do). A
 * request the parser refuses is answered in order too, and closes the connection: once framing is in
 * doubt, the following bytes cannot be trusted to be the next request.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { type Deadline, DeadlineList } from '../../core/deadline-list.js';
import { ListNode } from '../../core/intrusive-list.js';
import {
  type RequestHead,
  RequestParseError,
  RequestParser,
  type RequestParserLimits,
  type RequestSink,
} from './request-parser.js';
import { H1Response, type ResponseOwner } from './response.js';

/** A complete request, as the handler gets it. */
export interface H1Request {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: '1.0' | '1.1';
  readonly headers: IncomingHttpHeaders;
  readonly socket: Socket;
  /** The whole body (empty when there is none). */
  readonly body: Buffer;
}

/** Why a connection answers without a handler: the status and the message of the error body. */
export interface ProtocolError {
  status: 400 | 408 | 413 | 414 | 417 | 431 | 501 | 505;
  message: string;
}

export interface ConnectionSettings {
  limits: RequestParserLimits;
  /** Largest request body, bytes: 413 beyond (before reading it, when Content-Length says so). */
  maxBodyBytes: number;
  /** From a connection's first byte (or its opening) to the end of a request head. */
  headDeadlines: DeadlineList | undefined;
  /** From the end of a head to the end of its body. */
  bodyDeadlines: DeadlineList | undefined;
  /** An idle keep-alive connection is closed after this long. */
  idleDeadlines: DeadlineList | undefined;
  keepAliveTimeoutSec: number;
  isShuttingDown(): boolean;
  /** Runs one request; it must end or destroy `res`. */
  onRequest(req: H1Request, res: H1Response): void;
  /** Answers a request the connection refused; the connection closes after it. */
  onProtocolError(error: ProtocolError, res: H1Response): void;
}

/** A connection we closed waits this long (2 s) for the client to close its side, then is destroyed. */
const LINGER = new DeadlineList(2_000);

/** Unparsed bytes a connection holds while a response is in progress before it stops reading. */
const MAX_HELD_BYTES = 64 * 1024;

export class ClientConnection extends ListNode implements ResponseOwner, RequestSink {
  readonly #parser: RequestParser;
  #head: RequestHead | undefined;
  #body: Buffer[] = [];
  #bodyBytes = 0;
  /** The response in progress, if any. */
  #response: H1Response | undefined;
  /** Bytes received while a response was in progress: the next requests, parsed once it ends. */
  #held: Buffer | undefined;
  #deadline: Deadline | undefined;
  #deadlineList: DeadlineList | undefined;
  /** No more requests: an error was answered, or a response said `Connection: close`. */
  #closing = false;
  #closed = false;
  #linger: Deadline | undefined;

  constructor(
    readonly socket: Socket,
    private readonly settings: ConnectionSettings,
    /** Called once, when the socket closed. */
    private readonly onClosed: (conn: ClientConnection) => void,
  ) {
    super();
    this.#parser = new RequestParser(this, settings.limits);
    // Shared listeners that find the connection on the socket: no closures per connection, since every
    // open stream holds one connection for its whole life (docs/architecture.md, hot-path rules).
    (socket as OwnedSocket)[OWNER] = this;
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    socket.on('drain', onSocketDrain);
    // A connection that never sends a byte is cut by the head deadline too (slowloris, S25).
    this.#arm(settings.headDeadlines);
  }

  /** Whether a request is being received or answered (graceful shutdown spares these). */
  get busy(): boolean {
    return this.#response !== undefined || !this.#parser.idle;
  }

  /** Closes the connection now. */
  destroy(): void {
    this.socket.destroy();
  }

  /** @internal The socket drained: a paused relay may go on. */
  drained(): void {
    this.#response?.emit('drain');
  }

  // ResponseOwner

  ended(res: H1Response, close: boolean): void {
    if (res !== this.#response) return;
    this.#response = undefined;
    if (close || this.#closing || this.settings.isShuttingDown()) {
      this.#closing = true;
      this.#disarm();
      this.socket.end();
      // A client that never closes its side would hold the socket open: it gets a little while to read.
      this.#linger = LINGER.add(() => this.socket.destroy());
      return;
    }
    this.#arm(this.settings.idleDeadlines);
    const held = this.#held;
    this.#held = undefined;
    if (this.socket.isPaused()) this.socket.resume();
    // Not from inside `res.end()`: the next request starts once the caller of `end` has returned.
    if (held) queueMicrotask(() => (this.#closing ? undefined : this.#parse(held)));
  }

  // Socket events

  /** @internal */
  onData(chunk: Buffer): void {
    if (this.#closing) return;
    if (this.#response) {
      // Pipelined behind a response in progress: kept for later, within a bound.
      this.#held = this.#held ? Buffer.concat([this.#held, chunk]) : chunk;
      if (this.#held.length > MAX_HELD_BYTES) this.socket.pause();
      return;
    }
    this.#parse(chunk);
  }

  #parse(buf: Buffer): void {
    let at = 0;
    while (at < buf.length && !this.#closing && !this.#response) {
      if (this.#parser.idle && this.#deadlineList !== this.settings.headDeadlines) {
        this.#arm(this.settings.headDeadlines);
      }
      try {
        at = this.#parser.execute(buf, at, buf.length);
      } catch (err) {
        // Anything else thrown here is a bug; the request still gets a 400 rather than the process dying.
        this.#refuse(
          err instanceof RequestParseError
            ? { status: err.status, message: err.message }
            : { status: 400, message: 'Malformed HTTP request.' },
        );
        return;
      }
      if (this.#parser.done) this.#parser.reset();
    }
    if (at < buf.length && this.#response && !this.#closing) this.#held = buf.subarray(at);
  }

  /** @internal RequestSink: a request head was parsed. */
  head(head: RequestHead): void {
    this.#head = head;
    this.#body = [];
    this.#bodyBytes = 0;
    if (head.contentLength > this.settings.maxBodyBytes) {
      this.#tooLarge();
      return;
    }
    const hasBody = head.chunked || head.contentLength > 0;
    if (hasBody) {
      this.#arm(this.settings.bodyDeadlines);
      if (head.expectContinue) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
    }
  }

  /** @internal RequestSink: body bytes (a view of the socket's buffer). */
  body(chunk: Buffer): void {
    if (this.#closing) return;
    this.#bodyBytes += chunk.length;
    if (this.#bodyBytes > this.settings.maxBodyBytes) {
      this.#tooLarge();
      return;
    }
    // A copy: `chunk` is a view of a whole read, which may also hold the pipelined requests behind this one.
    this.#body.push(Buffer.from(chunk));
  }

  /** @internal RequestSink: the request is complete. */
  complete(): void {
    const head = this.#head;
    if (!head || this.#closing) return;
    this.#head = undefined;
    this.#disarm();
    const body = this.#body.length === 1 ? this.#body[0]! : Buffer.concat(this.#body, this.#bodyBytes);
    this.#body = [];
    const res = this.#newResponse(head);
    this.#response = res;
    this.#parser.stop();
    this.settings.onRequest(
      {
        method: head.method,
        url: head.url,
        httpVersion: head.httpVersion,
        headers: head.headers,
        socket: this.socket,
        body,
      },
      res,
    );
  }

  /** @internal */
  onEnd(): void {
    // The client will send nothing more. One that half-closes mid-request or mid-response is treated as
    // gone, as node:http does by default; an idle one is simply closed.
    this.socket.destroy();
  }

  /** @internal */
  onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#disarm();
    if (this.#linger) LINGER.cancel(this.#linger);
    this.#closing = true;
    const res = this.#response;
    this.#response = undefined;
    res?.emitClose();
    this.onClosed(this);
  }

  // Refusals and deadlines

  #refuse(error: ProtocolError): void {
    this.#closing = true;
    this.#disarm();
    const head = this.#head;
    this.#head = undefined;
    const res = this.#newResponse(head, false);
    this.#response = res;
    this.settings.onProtocolError(error, res);
  }

  /** 413 as soon as the body is known to exceed the limit, declared or counted; nothing more is parsed. */
  #tooLarge(): void {
    this.#refuse({
      status: 413,
      message: `Request body exceeds the limit of ${this.settings.maxBodyBytes} bytes.`,
    });
    this.#parser.stop();
  }

  #timedOut(): void {
    this.#deadline = this.#deadlineList = undefined;
    if (this.#response) return;
    if (this.#parser.idle) {
      // Nothing of a request arrived: an idle connection (or one that never spoke) is just closed.
      this.socket.destroy();
      return;
    }
    const body = this.#head !== undefined;
    this.#refuse({
      status: 408,
      message: body ? 'Timed out reading the request body.' : 'Timed out reading the request.',
    });
  }

  #newResponse(head: RequestHead | undefined, keepAlive = head?.keepAlive ?? false): H1Response {
    return new H1Response(
      this.socket,
      this,
      {
        head: head?.method === 'HEAD',
        http10: head?.httpVersion === '1.0',
        keepAlive,
        keepAliveTimeoutSec: this.settings.keepAliveTimeoutSec,
      },
      this.settings.isShuttingDown,
    );
  }

  #arm(list: DeadlineList | undefined): void {
    this.#disarm();
    if (!list) return;
    this.#deadlineList = list;
    // A closure per deadline, not per connection: none is armed while a response streams.
    this.#deadline = list.add(() => this.#timedOut());
  }

  #disarm(): void {
    if (this.#deadline) this.#deadlineList!.cancel(this.#deadline);
    this.#deadline = this.#deadlineList = undefined;
  }
}

const OWNER = Symbol('fulcrum.clientConnection');
type OwnedSocket = Socket & { [OWNER]: ClientConnection };

function onSocketData(this: Socket, chunk: Buffer): void {
  (this as OwnedSocket)[OWNER].onData(chunk);
}
function onSocketEnd(this: Socket): void {
  (this as OwnedSocket)[OWNER].onEnd();
}
function onSocketError(this: Socket): void {
  this.destroy();
}
function onSocketClose(this: Socket): void {
  (this as OwnedSocket)[OWNER].onClose();
}
function onSocketDrain(this: Socket): void {
  (this as OwnedSocket)[OWNER].drained();
}
