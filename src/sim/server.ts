/**
 * The simulator's HTTP face (node:http): OpenAI routes, health, the engine-specific load endpoints, and the
 * pre-response faults. Generation itself is in `generation.ts`; this file routes, parses, picks the fault and
 * owns the listener (which the `refuse` and `crash` faults close).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Random } from '../core/prng.js';
import { serveEmbeddings } from './embeddings.js';
import { chooseFault, FAULT_HEADER, type Fault, type FaultPlan, faultLabel } from './faults.js';
import { runGeneration } from './generation.js';
import { type InfoContext, serveInfo } from './info-routes.js';
import type { EngineFlavor, MetricsSource } from './metrics.js';
import { parseGeneration, RequestError } from './openai-request.js';
import type { RealtimeDriver } from './realtime.js';
import type { RequestLog, SimRequestRecord } from './records.js';
import { sendJson } from './respond.js';
import { errorBody } from './sse.js';

/** What the server needs from its owner. */
export interface SimServerConfig {
  driver: RealtimeDriver;
  log: RequestLog;
  models: string[];
  engine: EngineFlavor;
  maxModelLen: number;
  seed: number;
  coalesce: number;
  faults: FaultPlan;
  random: Random;
  /** llama.cpp slots reported by /slots. */
  slots: number;
  embeddingDim: number;
  keepAliveTimeoutMs: number;
  /** Called by the `crash` fault after every connection is reset. */
  onCrash: () => void;
}

const MAX_BODY = 64 * 1024 * 1024;
const GARBAGE = Buffer.from('\x00\xff\xfeSIM GARBAGE \x13\x37 not http at all\r\n\r\n\x00\x01\x02');

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(new RequestError(413, 'request body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The simulated server: an http.Server plus listener control for faults. */
export class SimServer {
  readonly http: Server;
  private readonly sockets = new Set<Socket>();
  private readonly started = performance.now();
  private port = 0;
  private host = '127.0.0.1';
  private listening = false;
  private reopenTimer: NodeJS.Timeout | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private crashed = false;

  constructor(private readonly cfg: SimServerConfig) {
    this.http = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => this.fail(res, err));
    });
    this.http.keepAliveTimeout = cfg.keepAliveTimeoutMs;
    this.http.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  /** Binds the listener; resolves with the port. Schedules `refuse` and `crash` windows of the fault plan. */
  async listen(port: number, host: string): Promise<number> {
    this.host = host;
    await this.bind(port);
    for (const w of this.cfg.faults.schedule ?? []) {
      if (w.fault.kind === 'refuse') {
        this.timers.push(setTimeout(() => this.refuse((w.toSec - w.fromSec) * 1000), w.fromSec * 1000));
      } else if (w.fault.kind === 'crash') {
        this.timers.push(setTimeout(() => this.crash(), w.fromSec * 1000));
      }
    }
    return this.port;
  }

  private bind(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.http.once('error', onError);
      this.http.listen(port, this.host, () => {
        this.http.off('error', onError);
        const addr = this.http.address();
        if (addr && typeof addr === 'object') this.port = addr.port;
        this.listening = true;
        resolve();
      });
    });
  }

  /**
   * Stops accepting connections for `ms` wall milliseconds (connects are refused) and drops idle
   * keep-alive connections, as a restarting server would. `ms` = Infinity refuses until `accept()`.
   */
  refuse(ms: number): void {
    if (this.listening) {
      this.listening = false;
      this.http.close();
      this.http.closeIdleConnections();
    }
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
    if (Number.isFinite(ms)) this.reopenTimer = setTimeout(() => void this.accept(), ms);
  }

  /** Listens again on the same port after `refuse`. */
  async accept(): Promise<void> {
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
    if (this.listening || this.crashed) return;
    await this.bind(this.port);
  }

  /** Dies abruptly: every connection is reset, the listener closed, then `onCrash` runs. */
  crash(): void {
    if (this.crashed) return;
    this.crashed = true;
    this.cfg.log.events.emit('crash');
    for (const s of this.sockets) s.resetAndDestroy();
    if (this.listening) this.http.close();
    this.listening = false;
    this.cfg.onCrash();
  }

  /** Closes the listener and every connection. */
  close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    return new Promise((resolve) => {
      for (const s of this.sockets) s.destroy();
      if (!this.listening) return resolve();
      this.listening = false;
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  private infoContext(): InfoContext {
    const { engine, models, maxModelLen, slots } = this.cfg;
    return { engine, models, maxModelLen, slots, source: () => this.metricsSource() };
  }

  /** Current load for exporters. */
  metricsSource(): MetricsSource {
    return {
      model: this.cfg.models[0]!,
      load: this.cfg.driver.engine.load(),
      rec: this.cfg.driver.engine.recorder,
      activeRequests: this.cfg.log.active,
    };
  }

  private fail(res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof RequestError) {
      sendJson(res, err.status, errorBody(err.status, err.message, err.type, err.param));
    } else {
      const message = err instanceof Error ? err.message : String(err);
      sendJson(res, 500, errorBody(500, `simulator error: ${message}`, 'InternalServerError'));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let arrival = this.cfg.driver.virtualNow();
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    const requestId = (req.headers['x-request-id'] as string | undefined) ?? randomBytes(8).toString('hex');
    res.setHeader('x-request-id', requestId);
    if (method === 'GET' && serveInfo(path, res, this.infoContext())) return;
    const generation = path === '/v1/chat/completions' || path === '/v1/completions';
    if (!generation && path !== '/v1/embeddings') {
      return sendJson(res, 404, errorBody(404, `no route for ${method} ${path}`, 'NotFoundError'));
    }
    if (method !== 'POST') return sendJson(res, 405, errorBody(405, 'use POST', 'MethodNotAllowed'));

    const record: SimRequestRecord = {
      requestId,
      method,
      path,
      model: undefined,
      stream: false,
      status: undefined,
      fault: undefined,
      promptTokens: 0,
      cachedTokens: 0,
      completionTokens: 0,
      ttftMs: undefined,
      startedAt: Date.now(),
      endedAt: undefined,
      outcome: 'active',
    };
    const log = this.cfg.log;
    log.start(record);
    let fault: Fault | undefined;
    try {
      const header = req.headers[FAULT_HEADER];
      const elapsed = (performance.now() - this.started) / 1000;
      fault = chooseFault(
        typeof header === 'string' ? header : undefined,
        this.cfg.faults,
        elapsed,
        this.cfg.random,
      );
    } catch (err) {
      record.status = 400;
      log.end(record, 'error');
      return sendJson(res, 400, errorBody(400, (err as Error).message, 'BadRequestError', FAULT_HEADER));
    }
    if (fault) record.fault = faultLabel(fault);
    if (fault && this.preFault(fault, req, res, record)) return;
    if (fault?.kind === 'slow-headers') {
      const abort = new Promise<void>((resolve) => res.once('close', resolve));
      await Promise.race([new Promise<void>((r) => setTimeout(r, fault.ms)), abort]);
      if (res.destroyed || req.socket.destroyed) return log.end(record, 'aborted');
      arrival = this.cfg.driver.virtualNow(); // the delay is the fault's, not the engine's
    }

    let body: Record<string, unknown>;
    try {
      const text = await readBody(req);
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new RequestError(400, 'the request body must be a JSON object');
      }
      body = parsed as Record<string, unknown>;
      const model = body.model;
      if (model !== undefined && (typeof model !== 'string' || !this.cfg.models.includes(model))) {
        throw new RequestError(
          404,
          `The model \`${String(model)}\` does not exist.`,
          'NotFoundError',
          'model',
        );
      }
      record.model = typeof model === 'string' ? model : this.cfg.models[0];
      record.stream = body.stream === true;
      if (path === '/v1/embeddings') {
        return serveEmbeddings(
          { driver: this.cfg.driver, log, dim: this.cfg.embeddingDim },
          body,
          res,
          record,
          arrival,
        );
      }
      const gen = parseGeneration(path === '/v1/chat/completions' ? 'chat' : 'completion', body, {
        defaultModel: this.cfg.models[0]!,
        maxModelLen: this.cfg.maxModelLen,
        simSeed: this.cfg.seed,
      });
      runGeneration({
        driver: this.cfg.driver,
        log,
        req,
        res,
        gen,
        fault,
        record,
        coalesce: this.cfg.coalesce,
        arrival,
        identity: {
          id: `${gen.kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomBytes(12).toString('hex')}`,
          created: Math.floor(Date.now() / 1000),
          model: gen.model,
        },
      });
    } catch (err) {
      const status = err instanceof RequestError ? err.status : err instanceof SyntaxError ? 400 : 500;
      record.status = status;
      log.end(record, 'error');
      if (err instanceof SyntaxError) throw new RequestError(400, `invalid JSON body: ${err.message}`);
      if (err instanceof RangeError) throw new RequestError(400, err.message);
      throw err;
    }
  }

  /** Faults that act before the request is served. Returns true when the request is finished. */
  private preFault(
    fault: Fault,
    req: IncomingMessage,
    res: ServerResponse,
    record: SimRequestRecord,
  ): boolean {
    const log = this.cfg.log;
    switch (fault.kind) {
      case 'status': {
        record.status = fault.status;
        log.end(record, 'fault');
        const headers: Record<string, string> = {};
        if (fault.retryAfterSec !== undefined) headers['retry-after'] = String(fault.retryAfterSec);
        const type =
          fault.status === 429
            ? 'RateLimitError'
            : fault.status === 503
              ? 'ServiceUnavailable'
              : 'InternalServerError';
        sendJson(
          res,
          fault.status,
          errorBody(fault.status, `simulated fault: HTTP ${fault.status}`, type),
          headers,
        );
        return true;
      }
      case 'reset-before-headers':
        log.end(record, 'fault');
        req.socket.resetAndDestroy();
        return true;
      case 'garbage':
        log.end(record, 'fault');
        req.socket.end(GARBAGE);
        return true;
      case 'refuse':
        log.end(record, 'fault');
        req.socket.resetAndDestroy();
        this.refuse(fault.ms);
        return true;
      case 'crash':
        log.end(record, 'fault');
        this.crash();
        return true;
      default:
        return false;
    }
  }
}
