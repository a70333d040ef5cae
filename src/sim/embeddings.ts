/**
 * /v1/embeddings. Each input is prefilled by the engine (so embeddings take batch slots, KV blocks and step
 * time like any prompt), then the response carries deterministic unit vectors derived from the token ids:
 * the same text always gives the same vector, texts sharing words give correlated ones. Not semantic.
 */
import type { ServerResponse } from 'node:http';
import { promptOf } from './openai-request.js';
import type { RealtimeDriver } from './realtime.js';
import type { RequestLog, SimRequestRecord } from './records.js';
import { sendJson } from './respond.js';
import { usage } from './sse.js';

/** What the embeddings route needs from the server. */
export interface EmbeddingsContext {
  driver: RealtimeDriver;
  log: RequestLog;
  /** Vector dimension. */
  dim: number;
}

/** /v1/embeddings: each input is prefilled by the engine (one step's worth of work), then vectors returned. */
export function serveEmbeddings(
  c: EmbeddingsContext,
  body: Record<string, unknown>,
  res: ServerResponse,
  record: SimRequestRecord,
  arrival: number,
): void {
  const raw = body.input;
  const inputs: unknown[] =
    Array.isArray(raw) && raw.length > 0 && (typeof raw[0] === 'string' || Array.isArray(raw[0]))
      ? raw
      : [raw];
  const prompts = inputs.map((x) => promptOf(x, 'input'));
  const base64 = body.encoding_format === 'base64';
  const dim = c.dim;
  let left = prompts.length;
  const handles = prompts.map((tokens) =>
    c.driver.submit(
      { promptTokens: tokens, outputTokens: 1, finishReason: 'stop', outputTokenId: () => 0 },
      { onToken: () => --left === 0 && finish() },
      arrival,
    ),
  );
  const promptTokens = prompts.reduce((s, p) => s + p.length, 0);
  record.promptTokens = promptTokens;
  let done = false;
  res.on('close', () => {
    if (done) return;
    done = true;
    for (const h of handles) c.driver.cancel(h);
    c.log.end(record, 'aborted');
  });
  const finish = () => {
    done = true;
    const data = prompts.map((tokens, index) => {
      const v = embed(tokens, dim);
      return {
        object: 'embedding',
        index,
        embedding: base64
          ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')
          : Array.from(v),
      };
    });
    const u = usage(
      promptTokens,
      0,
      handles.reduce((s, h) => s + h.cachedTokens, 0),
    );
    record.status = 200;
    record.cachedTokens = u.prompt_tokens_details.cached_tokens;
    sendJson(res, 200, {
      object: 'list',
      data,
      model: record.model,
      usage: { prompt_tokens: u.prompt_tokens, total_tokens: u.prompt_tokens },
    });
    c.log.end(record, 'ok');
  };
}

/** A deterministic unit vector from token ids (same text → same vector; shared words → correlated vectors). */
export function embed(tokens: readonly number[], dim: number): Float32Array {
  const v = new Float32Array(dim);
  for (const t of tokens) {
    let h = Math.imul(t ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
    for (let k = 0; k < 4; k++) {
      h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
      v[h % dim]! += (h & 1) === 0 ? 1 : -1;
    }
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < dim; i++) v[i]! /= norm;
  return v;
}
