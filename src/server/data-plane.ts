/**
 * The data-plane listener: accepts client connections, enforces protocol limits (header size and deadline,
 * body size and deadline), parses what routing needs, and hands the request to the pipeline. It owns the
 * request's lifecycle: telemetry start/end, client-disconnect detection, errors turned into OpenAI-style
 * answers, and the count of requests in flight for graceful shutdown. Nothing here may crash the process.
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { deadlineListFor } from '../core/deadline-list.js';
import { asFulcrumError, FulcrumError } from '../core/errors.js';
import type { Handler, RequestContext } from '../pipeline/context.js';
import type { Pool } from '../pool/pool.js';
import { isValidRequestId } from '../proxy/headers.js';
import type { RetryBudget } from '../proxy/retry-budget.js';
import type { TelemetryBus } from '../telemetry/events.js';
import type { ClientIpResolver } from './client-ip.js';
import { answerClientError, checkFraming, MAX_REQUEST_HEADERS } from './framing.js';
import { sendError } from './openai-error.js';
import { isJsonContentType, type ParsedBody, parseBody } from './parse-request.js';
import { ClientGoneError, readBody } from './read-body.js';
import { hasBody, matchRoute, type Route } from './routes.js';

export interface DataPlaneDeps {
  listen: Config['listen'];
  clock: Clock;
  telemetry: TelemetryBus;
  pool: Pool;
  budget: RetryBudget;
  ipResolver: ClientIpResolver;
  /** The composed pipeline (middleware + route/retry). */
  handler: Handler;
  isShuttingDown(): boolean;
  /** Called for errors that escaped every handler: counted, never thrown. */
  onInternalError(err: unknown): void;
}

/** The listener plus the live count of requests it is serving. */
export interface DataPlane {
  server: http.Server;
  /** Requests currently being served. */
  active(): number;
  /** Resolves when no request is in flight. */
  idle(): Promise<void>;
}

/**
 * One request's place in its connection's pipeline. Callbacks rather than promises: this runs for every
 * request, and nearly always finds the previous turn already finished.
 */
class Turn {
  finished = false;
  #waiters: Array<() => void> | undefined;

  constructor(
    readonly req: IncomingMessage,
    /** The unfinished request before this one on the connection, if any. */
    private prev: Turn | undefined,
  ) {}

  /** Runs `fn` once this request's response is finished or abandoned. */
  afterDone(fn: () => void): void {
    if (this.finished) fn();
    else if (this.#waiters) this.#waiters.push(fn);
    else this.#waiters = [fn];
  }

  /** Runs `fn` once every earlier request on the connection is done. */
  afterPrevious(fn: () => void): void {
    if (this.prev === undefined) fn();
    else this.prev.afterDone(fn);
  }

  markDone(): void {
    if (this.finished) return;
    this.finished = true;
    this.prev = undefined;
    const waiters = this.#waiters;
    this.#waiters = undefined;
    if (waiters) for (const w of waiters) w();
  }
}

/**
 * The newest request of each connection. Node dispatches pipelined requests as soon as they are parsed and
 * only queues their responses; we run them one at a time, so a request behind a long stream is not forwarded
 * (nor its answer buffered in memory) before the stream ends, as NGINX and HAProxy do. Kept on the socket
 * itself: a WeakMap would take one set and one delete per request in a long-lived table (see
 * docs/architecture.md, hot-path rules).
 */
const LAST_TURN = Symbol('fulcrum.lastTurn');
type TurnSocket = Socket & { [LAST_TURN]?: Turn | undefined };

function lastTurnOf(socket: Socket): Turn | undefined {
  return (socket as TurnSocket)[LAST_TURN];
}

export function createDataPlane(deps: DataPlaneDeps): DataPlane {
  const { listen } = deps;
  let active = 0;
  let idleWaiters: Array<() => void> = [];
  const bodyDeadlines = deadlineListFor(listen.bodyTimeoutMs, () => deps.clock.now());

  const server = http.createServer(
    {
      headersTimeout: listen.headersTimeoutMs,
      requestTimeout: listen.headersTimeoutMs + listen.bodyTimeoutMs,
      keepAliveTimeout: listen.keepAliveTimeoutMs,
      maxHeaderSize: listen.maxHeaderBytes,
      // Node checks the header/request deadlines on this period; its 30 s default makes them coarse.
      connectionsCheckingInterval: 1_000,
      noDelay: true,
      // Checked in `checkFraming` instead, so the 400 carries an OpenAI-style body like every other error.
      requireHostHeader: false,
    },
    (req, res) => {
      active += 1;
      const socket = req.socket;
      const prior = lastTurnOf(socket);
      const turn = new Turn(req, prior?.finished === false ? prior : undefined);
      (socket as TurnSocket)[LAST_TURN] = turn;
      // One listener serves three purposes: the client-gone flag, the pipelining turn, the last turn.
      const clientGone = { aborted: false };
      const done = (): void => {
        if (!res.writableFinished) clientGone.aborted = true;
        res.off('close', done);
        socket.off('close', done);
        turn.markDone();
        if (lastTurnOf(socket) === turn) (socket as TurnSocket)[LAST_TURN] = undefined;
      };
      res.on('error', ignore);
      if (socket.destroyed) done();
      else {
        res.on('close', done);
        socket.on('close', done);
      }
      turn.afterPrevious(() => {
        // Not writable: an earlier response closed the connection (`Connection: close` after a framing
        // error, a timeout…), and a request pipelined behind it must not run.
        if (res.destroyed || !socket.writable) {
          leave();
          return;
        }
        // `handle` answers its own errors; a rejection here is a bug, counted and answered as a 500.
        handle(req, res, clientGone).then(leave, (err: unknown) => {
          try {
            deps.onInternalError(err);
            sendError(res, err);
          } finally {
            leave();
          }
        });
      });
    },
  );
  function leave(): void {
    active -= 1;
    if (active === 0 && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }
  server.maxHeadersCount = MAX_REQUEST_HEADERS + 1;
  server.on('clientError', (err, socket) => {
    const s = socket as Socket;
    const turn = lastTurnOf(s);
    // The error belongs to the request after the newest one when that one was fully received: answer it
    // after the responses ahead of it, or the 400 would overtake (and cut) a response still in flight. A
    // request whose own body failed to parse is answered once the requests before it are done.
    // Deferred a tick so that a response which closes the connection has ended the socket by then.
    const answer = (): void => queueMicrotask(() => answerClientError(err, s));
    if (turn === undefined) answer();
    else if (turn.req.complete) turn.afterDone(answer);
    else turn.afterPrevious(answer);
  });

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    clientGone: { aborted: boolean },
  ): Promise<void> {
    const id = isValidRequestId(req.headers['x-request-id']) ? req.headers['x-request-id'] : randomUUID();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    const peerIp = req.socket.remoteAddress ?? '';
    const startedAt = deps.clock.now();
    const ctx: Mutable<RequestContext> = {
      id,
      req,
      res,
      method,
      path,
      search: q === -1 ? '' : url.slice(q),
      peerIp: peerIp.startsWith('::ffff:') ? peerIp.slice(7) : peerIp,
      clientIp: deps.ipResolver.resolve(peerIp, req.headers['x-forwarded-for']),
      startedAt,
      clientGone,
      body: EMPTY,
      parsed: undefined,
      attempts: 0,
      endpoint: undefined,
      status: 0,
      firstByteAt: undefined,
      errorCode: undefined,
    };
    let started = false;
    let leaveBudget: (() => void) | undefined;
    let closeConnection = false;
    try {
      const framing = checkFraming(req, url);
      if (framing !== undefined) {
        // The rest of the connection's bytes cannot be trusted to be framed the way we think.
        closeConnection = true;
        throw framing;
      }
      const route = matchRoute(method, path);
      if ('error' in route) {
        throw route.error === 'not_found'
          ? new FulcrumError('not_found', `Unknown path ${path.slice(0, 200)}.`)
          : new FulcrumError('method_not_allowed', `Method ${method} is not allowed on ${path}.`);
      }
      if (deps.isShuttingDown()) {
        throw new FulcrumError('shutting_down', 'The load balancer is shutting down.', { retryAfterSec: 1 });
      }
      if (route.kind === 'models') {
        answerModels(ctx, route);
        return;
      }
      if (hasBody(method)) {
        if (!isJsonContentType(req.headers['content-type']) && route.kind === 'inference') {
          throw new FulcrumError('invalid_request', 'Content-Type must be application/json.');
        }
        ctx.body = await readBody(req, { maxBytes: listen.maxBodyBytes, deadlines: bodyDeadlines });
        ctx.parsed = parseRouted(ctx.body, path, route, req.headers['content-type']);
      }
      started = true;
      deps.telemetry.emit('request.start', {
        id,
        model: ctx.parsed?.model ?? '',
        stream: ctx.parsed?.stream ?? false,
        path,
      });
      leaveBudget = deps.budget.enter();
      await deps.handler(ctx);
    } catch (err) {
      if (err instanceof ClientGoneError) {
        ctx.errorCode = 'client_gone';
        return;
      }
      const error = asFulcrumError(err);
      if (error.code === 'internal_error') deps.onInternalError(err);
      ctx.errorCode = error.code;
      if (!res.headersSent) ctx.status = error.status;
      sendError(res, error, {
        'x-request-id': id,
        'x-fulcrum-backend': ctx.endpoint ?? 'none',
        'x-fulcrum-attempts': String(ctx.attempts),
        ...(deps.isShuttingDown() || closeConnection ? { connection: 'close' } : {}),
      });
    } finally {
      leaveBudget?.();
      const now = deps.clock.now();
      if (!started) deps.telemetry.emit('request.start', { id, model: '', stream: false, path });
      deps.telemetry.emit('request.end', {
        id,
        model: ctx.parsed?.model ?? '',
        path,
        stream: ctx.parsed?.stream ?? false,
        status: ctx.status || res.statusCode,
        endpoint: ctx.endpoint,
        attempts: ctx.attempts,
        durationMs: now - startedAt,
        ttfbMs: ctx.firstByteAt === undefined ? undefined : ctx.firstByteAt - startedAt,
        errorCode: ctx.errorCode,
        clientAborted: clientGone.aborted,
      });
    }
  }

  function answerModels(ctx: Mutable<RequestContext>, route: Route): void {
    const models = deps.pool.models();
    const headers = { 'x-request-id': ctx.id, 'x-fulcrum-backend': 'fulcrum', 'x-fulcrum-attempts': '0' };
    if (route.modelId !== undefined) {
      if (!deps.pool.knows(route.modelId)) {
        throw new FulcrumError('model_not_found', `The model \`${route.modelId}\` does not exist.`, {
          param: 'model',
        });
      }
      sendJson(ctx, 200, modelObject(route.modelId), headers);
      return;
    }
    sendJson(ctx, 200, { object: 'list', data: models.map(modelObject) }, headers);
  }

  return {
    server,
    active: () => active,
    idle: () => (active === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r))),
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const EMPTY = Buffer.alloc(0);

function ignore(): void {}
const CREATED = Math.floor(Date.now() / 1000);

function modelObject(id: string): Record<string, unknown> {
  return { id, object: 'model', created: CREATED, owned_by: 'fulcrum' };
}

function parseRouted(
  body: Buffer,
  path: string,
  route: Route,
  contentType: string | undefined,
): ParsedBody | undefined {
  if (route.kind === 'inference') return parseBody(body, path, true);
  // Pass-through: route by model when the body is JSON and names one; otherwise forward as-is.
  if (body.length === 0 || !isJsonContentType(contentType) || contentType === undefined) return undefined;
  return parseBody(body, path, false);
}

function sendJson(
  ctx: Mutable<RequestContext>,
  status: number,
  value: unknown,
  headers: Record<string, string>,
): void {
  const body = JSON.stringify(value);
  ctx.status = status;
  ctx.res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  ctx.res.end(body);
}
