/**
 * The data-plane listener: accepts client connections, enforces protocol limits (header size and deadline,
 * body size and deadline), parses what routing needs, and hands the request to the pipeline. It owns the
 * request's lifecycle: telemetry start/end, client-disconnect detection, errors turned into OpenAI-style
 * answers, and the count of requests in flight for graceful shutdown. Nothing here may crash the process.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { deadlineListFor } from '../core/deadline-list.js';
import { asFulcrumError, type ErrorCode, FulcrumError } from '../core/errors.js';
import type { Handler, RequestContext } from '../pipeline/context.js';
import type { Pool } from '../pool/pool.js';
import { isValidRequestId } from '../proxy/headers.js';
import type { RetryBudget } from '../proxy/retry-budget.js';
import type { TelemetryBus } from '../telemetry/events.js';
import type { ClientIpResolver } from './client-ip.js';
import type { H1Request, ProtocolError } from './h1/connection.js';
import type { DataPlaneResponse } from './h1/response.js';
import { H1Server } from './h1/server.js';
import { sendError } from './openai-error.js';
import { isJsonContentType, type ParsedBody, parseBody } from './parse-request.js';
import { MAX_CHUNK_LINE_BYTES, MAX_REQUEST_HEADERS, MAX_URL_BYTES } from './request-limits.js';
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
  server: H1Server;
  /** Requests currently being served. */
  active(): number;
  /** Resolves when no request is in flight. */
  idle(): Promise<void>;
}

/** The error code of each refusal the server answers before a request reaches the pipeline. */
const PROTOCOL_CODES: Record<ProtocolError['status'], ErrorCode> = {
  400: 'invalid_request',
  408: 'request_timeout',
  413: 'payload_too_large',
  414: 'invalid_request',
  417: 'invalid_request',
  431: 'invalid_request',
  501: 'invalid_request',
  505: 'invalid_request',
};

export function createDataPlane(deps: DataPlaneDeps): DataPlane {
  const { listen } = deps;
  let active = 0;
  let idleWaiters: Array<() => void> = [];
  const now = (): number => deps.clock.now();

  const server = new H1Server({
    limits: {
      maxHeadBytes: listen.maxHeaderBytes,
      maxHeaders: MAX_REQUEST_HEADERS,
      maxTargetBytes: MAX_URL_BYTES,
      maxLineBytes: MAX_CHUNK_LINE_BYTES,
    },
    maxBodyBytes: listen.maxBodyBytes,
    headDeadlines: deadlineListFor(listen.headersTimeoutMs, now),
    bodyDeadlines: deadlineListFor(listen.bodyTimeoutMs, now),
    idleDeadlines: deadlineListFor(listen.keepAliveTimeoutMs, now),
    keepAliveTimeoutSec: Math.floor(listen.keepAliveTimeoutMs / 1000),
    isShuttingDown: () => deps.isShuttingDown(),
    onRequest(req, res) {
      active += 1;
      // `aborted`: the client went away before its response finished.
      const clientGone = { aborted: false };
      const done = (): void => {
        if (!res.writableFinished) clientGone.aborted = true;
        res.off('close', done);
      };
      res.on('close', done);
      // `handle` answers its own errors; a rejection here is a bug, counted and answered as a 500.
      handle(req, res, clientGone).then(leave, (err: unknown) => {
        try {
          deps.onInternalError(err);
          sendError(res, err);
        } finally {
          leave();
        }
      });
    },
    onProtocolError(error, res) {
      sendError(
        res,
        new FulcrumError(PROTOCOL_CODES[error.status], error.message, { status: error.status }),
        {
          connection: 'close',
        },
      );
    },
  });
  function leave(): void {
    active -= 1;
    if (active === 0 && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  async function handle(
    req: H1Request,
    res: DataPlaneResponse,
    clientGone: { aborted: boolean },
  ): Promise<void> {
    const id = isValidRequestId(req.headers['x-request-id']) ? req.headers['x-request-id'] : randomUUID();
    const url = req.url;
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method;
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
    try {
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
        ctx.body = req.body;
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
      const error = asFulcrumError(err);
      if (error.code === 'internal_error') deps.onInternalError(err);
      ctx.errorCode = error.code;
      if (!res.headersSent) ctx.status = error.status;
      sendError(res, error, {
        'x-request-id': id,
        'x-fulcrum-backend': ctx.endpoint ?? 'none',
        'x-fulcrum-attempts': String(ctx.attempts),
        ...(deps.isShuttingDown() ? { connection: 'close' } : {}),
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
