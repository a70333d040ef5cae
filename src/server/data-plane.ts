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
import type { Handler } from '../pipeline/context.js';
import type { Pool } from '../pool/pool.js';
import { isValidRequestId } from '../proxy/headers.js';
import type { RetryBudget } from '../proxy/retry-budget.js';
import type { TelemetryBus } from '../telemetry/events.js';
import type { ClientIpResolver } from './client-ip.js';
import type { H1Request, ProtocolError } from './h1/connection.js';
import type { H1Response } from './h1/response.js';
import { H1Server } from './h1/server.js';
import { sendError } from './openai-error.js';
import { isJsonContentType, type ParsedBody, parseBody } from './parse-request.js';
import { MAX_CHUNK_LINE_BYTES, MAX_REQUEST_HEADERS, MAX_URL_BYTES } from './request-limits.js';
import { hasBody, matchRoute, type Route } from './routes.js';
import { ServedRequest } from './served-request.js';

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
      let ctx: ServedRequest;
      try {
        ctx = receive(req, res);
      } catch (err) {
        // A bug: counted, and the connection closed rather than left hanging.
        deps.onInternalError(err);
        res.destroy();
        leave();
        return;
      }
      let running: Promise<void> | undefined;
      try {
        running = start(ctx, req);
      } catch (err) {
        fail(ctx, err);
      }
      if (!running) {
        finish(ctx);
        return;
      }
      running.then(
        () => finish(ctx),
        (err: unknown) => {
          fail(ctx, err);
          finish(ctx);
        },
      );
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

  /** The request's context (a bad `x-request-id` is replaced, not refused). */
  function receive(req: H1Request, res: H1Response): ServedRequest {
    const given = req.headers['x-request-id'];
    const id = isValidRequestId(given) ? given : randomUUID();
    const clientIp = deps.ipResolver.resolve(req.socket.remoteAddress ?? '', req.headers['x-forwarded-for']);
    return new ServedRequest(id, req, res, clientIp, deps.clock.now());
  }

  /**
   * Routes and parses the request, then runs the pipeline: its promise, or undefined when the request was
   * answered here (`/v1/models`). Throws the refusals (unknown path, bad JSON, shutting down).
   */
  function start(ctx: ServedRequest, req: H1Request): Promise<void> | undefined {
    const { method, path } = ctx;
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
      return undefined;
    }
    if (hasBody(method)) {
      const contentType = req.headers['content-type'];
      if (!isJsonContentType(contentType) && route.kind === 'inference') {
        throw new FulcrumError('invalid_request', 'Content-Type must be application/json.');
      }
      ctx.setBody(req.body, parseRouted(req.body, path, route, contentType));
    }
    deps.budget.enter();
    ctx.started = true;
    deps.telemetry.emit('request.start', { id: ctx.id, model: ctx.model, stream: ctx.stream, path });
    return deps.handler(ctx);
  }

  /** Answers a failure in OpenAI's shape (or cuts a response already under way). Never throws. */
  function fail(ctx: ServedRequest, err: unknown): void {
    const res = ctx.res;
    try {
      const error = asFulcrumError(err);
      if (error.code === 'internal_error') deps.onInternalError(err);
      ctx.errorCode = error.code;
      if (!res.headersSent) ctx.status = error.status;
      sendError(res, error, {
        'x-request-id': ctx.id,
        'x-fulcrum-backend': ctx.endpoint ?? 'none',
        'x-fulcrum-attempts': String(ctx.attempts),
        ...(deps.isShuttingDown() ? { connection: 'close' } : {}),
      });
    } catch (bug) {
      deps.onInternalError(bug);
      res.destroy();
    }
  }

  /** The request is over: telemetry, the budget, the in-flight count. Nothing here may throw. */
  function finish(ctx: ServedRequest): void {
    try {
      const { id, path } = ctx;
      if (ctx.started) deps.budget.leave();
      else deps.telemetry.emit('request.start', { id, model: '', stream: false, path });
      deps.telemetry.emit('request.end', {
        id,
        model: ctx.model,
        path,
        stream: ctx.stream,
        status: ctx.status || ctx.res.statusCode,
        endpoint: ctx.endpoint,
        attempts: ctx.attempts,
        durationMs: deps.clock.now() - ctx.startedAt,
        ttfbMs: ctx.firstByteAt === undefined ? undefined : ctx.firstByteAt - ctx.startedAt,
        errorCode: ctx.errorCode,
        clientAborted: ctx.clientAborted,
      });
    } catch (err) {
      deps.onInternalError(err);
    } finally {
      leave();
    }
  }

  function answerModels(ctx: ServedRequest, route: Route): void {
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

function sendJson(ctx: ServedRequest, status: number, value: unknown, headers: Record<string, string>): void {
  const body = JSON.stringify(value);
  ctx.status = status;
  ctx.res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  ctx.res.end(body);
}
