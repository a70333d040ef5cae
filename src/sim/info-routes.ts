/**
 * The read-only GET routes: health, model list, and each emulated engine's load endpoints (/metrics, plus
 * /slots for llama.cpp, /api/ps and /api/version for Ollama, /info for TGI). Routes an engine does not have
 * fall through, so the server answers 404 as that engine would.
 */
import type { ServerResponse } from 'node:http';
import { type EngineFlavor, llamacppSlots, type MetricsSource, metricsFor, ollamaPs } from './metrics.js';
import { sendJson } from './respond.js';

/** What the GET routes read. */
export interface InfoContext {
  engine: EngineFlavor;
  models: string[];
  maxModelLen: number;
  slots: number;
  source: () => MetricsSource;
}

function json(res: ServerResponse, status: number, body: unknown): true {
  sendJson(res, status, body);
  return true;
}

/** Serves `path` if it is one of the GET routes of `c.engine`; returns whether it did. */
export function serveInfo(path: string, res: ServerResponse, c: InfoContext): boolean {
  const { engine } = c;
  switch (path) {
    case '/health':
      if (engine === 'llamacpp') return json(res, 200, { status: 'ok' });
      res.writeHead(200).end();
      return true;
    case '/v1/models':
      return json(res, 200, {
        object: 'list',
        data: c.models.map((id) => ({
          id,
          object: 'model',
          created: Math.floor(Date.now() / 1000),
          owned_by: engine,
          root: c.models[0],
          max_model_len: c.maxModelLen,
        })),
      });
    case '/metrics': {
      const text = metricsFor(engine, c.source());
      if (text === undefined) break;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(text);
      return true;
    }
    case '/slots':
      if (engine !== 'llamacpp') break;
      return json(res, 200, llamacppSlots(c.source(), c.slots, c.maxModelLen));
    case '/api/ps':
      if (engine !== 'ollama') break;
      return json(res, 200, ollamaPs(c.models[0]!, 16_000_000_000));
    case '/api/version':
      if (engine !== 'ollama') break;
      return json(res, 200, { version: '0.6.0' });
    case '/info':
      if (engine !== 'tgi') break;
      return json(res, 200, {
        model_id: c.models[0],
        max_concurrent_requests: c.source().load.maxNumSeqs,
        max_total_tokens: c.maxModelLen,
      });
    case '/':
      if (engine === 'ollama') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('Ollama is running');
        return true;
      }
  }
  return false;
}
