/**
 * The admin listener: health and readiness probes, Prometheus metrics, and the runtime endpoint API, on its
 * own `node:http` server so that operator traffic never competes with (or is exposed like) the data plane.
 *
 * Security: bound to loopback by default; binding elsewhere without `admin.token` is refused at start-up.
 * With a token, every route except `/healthz` and `/readyz` (which orchestrators probe unauthenticated)
 * needs `Authorization: Bearer <token>`, checked before routing so unknown paths do not reveal the route
 * table. No CORS headers are ever sent: browsers on other origins cannot read or (with JSON bodies) forge
 * admin calls. The token never appears in a response or a log line. Routes: docs/operations.md.
 */

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/schema.js';
import { DeadlineList } from '../core/deadline-list.js';
import { FulcrumError } from '../core/errors.js';
import type { Pool } from '../pool/pool.js';
import type { Logger } from '../telemetry/logger.js';
import { Redactor } from '../telemetry/redact.js';
import { assertSafeAdminBinding, bearerChecker } from './admin-auth.js';
import { type AdminMethod, type AdminReply, type AdminRoute, endpointRoutes } from './admin-routes.js';
import { sendError } from './openai-error.js';
import { isJsonContentType } from './parse-request.js';
import { ClientGoneError, readBody } from './read-body.js';

/** Largest admin request body (an endpoint definition is a few hundred bytes). */
export const ADMIN_MAX_BODY_BYTES = 64 * 1024;
/** Deadline for an admin request body. */
const BODY_TIMEOUT_MS = 10_000;
const bodyDeadlines = new DeadlineList(BODY_TIMEOUT_MS);
/** On close, connections still busy after this long are cut. */
const CLOSE_GRACE_MS = 2_000;

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface AdminServerOptions {
  /** `admin` section of the config: host (default 127.0.0.1), port (0 = any free port), token. */
  config: Config['admin'];
  pool: Pool;
  /** Anything that renders Prometheus text, normally `FulcrumMetrics`. */
  metrics: { render(): string };
  /** Readiness for `/readyz` (e.g. not shutting down and at least one endpoint usable). */
  isReady: () => boolean;
  logger: Logger;
  /** Extra facts for `GET /admin/info` (strategy, data-plane URL…). Redacted before sending. Default none. */
  describe?: () => Record<string, unknown>;
}

export interface AdminServer {
  /** Base URL, e.g. `http://127.0.0.1:9090`. */
  url: string;
  port: number;
  /** Stops accepting, lets in-flight admin requests finish (cut after 2 s), resolves when closed. */
  close(): Promise<void>;
}

const COMMON_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const;

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const { config, pool, metrics, isReady, describe } = options;
  // Throws before any socket is opened.
  assertSafeAdminBinding(config.host, config.token);
  options.logger.addSecret(config.token);
  const logger = options.logger.child({ component: 'admin' });
  const authorized = bearerChecker(config.token);
  const redactor = new Redactor([config.token]);

  // Probes bypass auth; everything else in this table is behind the token.
  const open: AdminRoute[] = [
    { path: /^\/healthz$/, methods: { GET: () => ({ status: 200, json: { status: 'ok' } }) } },
    {
      path: /^\/readyz$/,
      methods: {
        GET: () =>
          isReady()
            ? { status: 200, json: { status: 'ready' } }
            : { status: 503, json: { status: 'not ready' } },
      },
    },
  ];
  const guarded: AdminRoute[] = [
    {
      path: /^\/metrics$/,
      methods: { GET: () => ({ status: 200, text: metrics.render(), contentType: METRICS_CONTENT_TYPE }) },
    },
    {
      path: /^\/admin\/info$/,
      methods: { GET: () => ({ status: 200, json: redactor.value(describe?.() ?? {}) }) },
    },
    ...endpointRoutes(pool, logger),
  ];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = safePath(req.url);
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    let found = match(open, path);
    if (!found) {
      if (!authorized(req.headers.authorization)) {
        logger.debug('admin: unauthorized request', { method, path });
        sendError(res, new FulcrumError('unauthorized', 'Missing or invalid admin token.'), {
          ...COMMON_HEADERS,
          'www-authenticate': 'Bearer realm="fulcrum-admin"',
        });
        return;
      }
      found = match(guarded, path);
    }
    if (!found) throw new FulcrumError('not_found', `No admin route ${method} ${path.slice(0, 200)}.`);
    const handler = found.route.methods[method as AdminMethod];
    if (!handler) {
      const allow = Object.keys(found.route.methods);
      if (allow.includes('GET')) allow.push('HEAD');
      const err = new FulcrumError('method_not_allowed', `Method ${method} is not allowed on ${path}.`);
      sendError(res, err, { ...COMMON_HEADERS, allow: allow.join(', ') });
      return;
    }
    const reply = await handler({ params: found.params, readJson: () => readJson(req) });
    send(res, reply);
  }

  const server = http.createServer(
    { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000, maxHeaderSize: 16_384 },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        if (err instanceof ClientGoneError) {
          res.destroy();
          return;
        }
        if (!(err instanceof FulcrumError)) logger.error('admin: internal error', { err });
        sendError(res, err, COMMON_HEADERS);
      });
    },
  );
  // Malformed requests get a bare 400 and the socket is closed, as Node would, without an 'error' crash.
  server.on('clientError', (_err, socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) =>
      reject(new Error(`admin listener could not bind ${config.host}:${config.port}: ${err.message}`));
    server.once('error', onError);
    server.listen(config.port, config.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => logger.error('admin: listener error', { err }));
  const port = (server.address() as AddressInfo).port;
  const url = `http://${hostForUrl(config.host)}:${port}`;
  logger.info('admin listener started', { url, auth: config.token !== undefined });

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        cut.unref();
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

/** The URL's path only (the query string is ignored and never echoed). */
function safePath(rawUrl: string | undefined): string {
  const raw = rawUrl ?? '/';
  const q = raw.indexOf('?');
  return q === -1 ? raw : raw.slice(0, q);
}

function match(
  routes: readonly AdminRoute[],
  path: string,
): { route: AdminRoute; params: string[] } | undefined {
  for (const route of routes) {
    const m = route.path.exec(path);
    if (!m) continue;
    const params = m.slice(1).map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        throw new FulcrumError('invalid_request', 'Malformed percent-encoding in the path.');
      }
    });
    return { route, params };
  }
  return undefined;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!isJsonContentType(req.headers['content-type'])) {
    throw new FulcrumError('unsupported_media_type', 'Admin request bodies must be application/json.');
  }
  const body = await readBody(req, { maxBytes: ADMIN_MAX_BODY_BYTES, deadlines: bodyDeadlines });
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new FulcrumError('invalid_json', 'Request body is not valid JSON.');
  }
}

function send(res: ServerResponse, reply: AdminReply): void {
  const body = reply.text ?? `${JSON.stringify(reply.json ?? null)}\n`;
  res.writeHead(reply.status, {
    ...COMMON_HEADERS,
    'content-type': reply.contentType ?? 'application/json',
    'content-length': Buffer.byteLength(body),
    ...reply.headers,
  });
  res.end(body);
}
