/**
 * The bench's streaming client: sends one OpenAI-compatible request with `stream: true` and records when
 * each piece arrived, as a user would feel it. Time to first token is taken at the first chunk that carries
 * content (not at the response headers, which some servers send before prefill); inter-token latencies are
 * the gaps between content-bearing events. Token counts come from the final usage chunk
 * (`stream_options.include_usage`), and the serving endpoint from the `x-fulcrum-backend` response header.
 *
 * Times here are wall-clock milliseconds from `clock`; the runner converts them to virtual time.
 */
import { Agent, request } from 'undici';
import { type Clock, systemClock } from '../core/clock.js';
import { renderText } from './pseudo-text.js';
import { SseSplitter } from './sse.js';
import type { BenchRequest } from './workload.js';

/** Which OpenAI API to call. */
export type BenchApi = 'chat' | 'completions';

/** Where and how to send. */
export interface ClientTarget {
  /** Base URL without `/v1`, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** Default `chat`. */
  api?: BenchApi;
  /** The `model` field. Default `bench-model`. */
  model?: string;
  /**
   * Response headers naming the endpoint that served the request, tried in order.
   * Default `['x-fulcrum-backend']`.
   */
  endpointHeaders?: readonly string[];
  /** Maps a header value (e.g. an upstream address) to an endpoint name. Default none. */
  endpointAliases?: Readonly<Record<string, string>>;
  /**
   * Ask for exactly `outputTokens`: sends `max_tokens` plus vLLM's `min_tokens` and `ignore_eos`.
   * Default true; turn off for servers that reject unknown fields.
   */
  exactOutput?: boolean;
  /**
   * When set, each request carries `x-request-id: <prefix><index>`, which balancers pass upstream, so the
   * backends' own logs can attribute requests. Default none.
   */
  requestIdPrefix?: string;
}

/** What one request measured (wall-clock ms relative to `sentAt`). */
export interface RawResult {
  /** Clock time when the request was handed to the socket layer. */
  sentAt: number;
  /** Time to the first content-bearing event, when one arrived. */
  ttft?: number;
  /** Gaps between consecutive content-bearing events. */
  itl: number[];
  /** Time until the stream ended (or failed). */
  e2e: number;
  status?: number;
  promptTokens?: number;
  completionTokens?: number;
  cachedTokens?: number;
  /** Content-bearing events received. */
  chunks: number;
  endpoint?: string;
  error?: { kind: string; message: string };
}

/** One connection pool for the whole run; `connections` unbounded so the client never queues requests. */
export function createDispatcher(timeoutMs = 600_000): Agent {
  return new Agent({
    connections: null,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: 10_000 },
  });
}

/** The JSON body for a request. */
export function requestBody(req: BenchRequest, target: ClientTarget): string {
  const common: Record<string, unknown> = {
    model: target.model ?? 'bench-model',
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: req.outputTokens,
    temperature: 0,
  };
  if (target.exactOutput !== false) {
    common.min_tokens = req.outputTokens;
    common.ignore_eos = true;
  }
  if ((target.api ?? 'chat') === 'completions') {
    return JSON.stringify({ ...common, prompt: req.messages.map((m) => renderText(m.content)).join('') });
  }
  const messages = req.messages.map((m) => ({ role: m.role, content: renderText(m.content) }));
  return JSON.stringify({ ...common, messages });
}

/** Sorts a thrown error into a short kind for the error table. */
export function errorKind(err: unknown): string {
  const e = err as { code?: string; name?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  if (e.name === 'AbortError' || code === 'ABORT_ERR') return 'aborted';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connect_refused';
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connect_timeout';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'timeout';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return 'reset';
    default:
      return 'network_error';
  }
}

interface StreamChunk {
  choices?: { delta?: { content?: unknown; reasoning_content?: unknown }; text?: unknown }[];
  usage?: {
    prompt_tokens?: number;
    completion_tokens?: number;
    prompt_tokens_details?: { cached_tokens?: number };
  };
  error?: { message?: string };
}

function hasContent(chunk: StreamChunk): boolean {
  const c = chunk.choices?.[0];
  if (!c) return false;
  const text = c.delta?.content ?? c.delta?.reasoning_content ?? c.text;
  return typeof text === 'string' && text.length > 0;
}

/** Sends one request and measures it. Never throws: failures are in `result.error`. */
export async function sendRequest(
  req: BenchRequest,
  target: ClientTarget,
  dispatcher: Agent,
  signal?: AbortSignal,
  clock: Clock = systemClock,
): Promise<RawResult> {
  const body = requestBody(req, target);
  const path = (target.api ?? 'chat') === 'completions' ? '/v1/completions' : '/v1/chat/completions';
  const sentAt = clock.now();
  const result: RawResult = { sentAt, itl: [], e2e: 0, chunks: 0 };
  let last: number | undefined;
  try {
    const res = await request(new URL(path, target.baseUrl), {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        ...(target.requestIdPrefix === undefined
          ? {}
          : { 'x-request-id': `${target.requestIdPrefix}${req.index}` }),
      },
      dispatcher,
      signal,
    });
    result.status = res.statusCode;
    result.endpoint = endpointOf(res.headers, target);
    if (res.statusCode !== 200) {
      const text = (await res.body.text()).slice(0, 300);
      result.error = { kind: `http_${res.statusCode}`, message: text };
      return result;
    }
    const splitter = new SseSplitter();
    let done = false;
    for await (const piece of res.body) {
      const now = clock.now();
      for (const data of splitter.push(piece as Uint8Array)) {
        if (data === '[DONE]') {
          done = true;
          continue;
        }
        let chunk: StreamChunk;
        try {
          chunk = JSON.parse(data) as StreamChunk;
        } catch {
          result.error ??= { kind: 'bad_event', message: data.slice(0, 200) };
          continue;
        }
        if (chunk.error)
          result.error ??= { kind: 'stream_error', message: chunk.error.message ?? 'error event' };
        if (hasContent(chunk)) {
          if (last === undefined) result.ttft = now - sentAt;
          else result.itl.push(now - last);
          last = now;
          result.chunks++;
        }
        if (chunk.usage) {
          result.promptTokens = chunk.usage.prompt_tokens;
          result.completionTokens = chunk.usage.completion_tokens;
          result.cachedTokens = chunk.usage.prompt_tokens_details?.cached_tokens;
        }
      }
    }
    if (!done && !result.error) result.error = { kind: 'truncated', message: 'stream ended without [DONE]' };
  } catch (err) {
    result.error = { kind: errorKind(err), message: (err as Error).message ?? String(err) };
  } finally {
    result.e2e = clock.now() - sentAt;
  }
  return result;
}

function endpointOf(
  headers: Record<string, string | string[] | undefined>,
  target: ClientTarget,
): string | undefined {
  for (const name of target.endpointHeaders ?? ['x-fulcrum-backend']) {
    const raw = headers[name];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value) return target.endpointAliases?.[value] ?? value;
  }
  return undefined;
}
