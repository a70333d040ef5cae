/** Small HTTP clients for tests: JSON requests, SSE streams with per-event timestamps, raw sockets. */
import net from 'node:net';
import { type Dispatcher, request } from 'undici';

export interface JsonResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

/** POSTs JSON (or a raw string) and reads the whole answer. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return readAnswer(res);
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<JsonResponse> {
  return readAnswer(await request(url, { headers }));
}

async function readAnswer(res: Dispatcher.ResponseData): Promise<JsonResponse> {
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

export interface SseResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** `data:` payloads in order. */
  events: string[];
  /** performance.now() at each event's arrival. */
  times: number[];
  /** Whether the stream ended with `[DONE]`. */
  done: boolean;
  /** The transport error that ended the stream, if any. */
  error: string | undefined;
}

/** Streams a chat completion and collects its SSE events. `abortAfter` destroys the connection after N events. */
export async function streamChat(
  url: string,
  body: Record<string, unknown>,
  options: { headers?: Record<string, string>; abortAfter?: number; signal?: AbortSignal } = {},
): Promise<SseResult & { abortedAt?: number }> {
  const ac = new AbortController();
  options.signal?.addEventListener('abort', () => ac.abort());
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(options.headers ?? {}) },
    body: JSON.stringify({ stream: true, ...body }),
    signal: ac.signal,
  });
  const out: SseResult & { abortedAt?: number } = {
    status: res.statusCode,
    headers: res.headers,
    events: [],
    times: [],
    done: false,
    error: undefined,
  };
  let buffer = '';
  try {
    for await (const chunk of res.body) {
      buffer += (chunk as Buffer).toString('utf8');
      let idx = buffer.indexOf('\n\n');
      while (idx !== -1) {
        const raw = buffer.slice(0, idx);
        buffer = buffer.slice(idx + 2);
        for (const line of raw.split('\n')) {
          if (!line.startsWith('data:')) continue;
          const data = line.slice(5).trim();
          if (data === '[DONE]') out.done = true;
          else {
            out.events.push(data);
            out.times.push(performance.now());
          }
        }
        if (options.abortAfter !== undefined && out.events.length >= options.abortAfter) {
          out.abortedAt = performance.now();
          ac.abort();
          res.body.destroy();
          return out;
        }
        idx = buffer.indexOf('\n\n');
      }
    }
  } catch (err) {
    out.error = (err as Error).message;
  }
  return out;
}

/** Sends raw bytes on a fresh TCP connection and returns everything received until close (or timeout). */
export function rawExchange(
  port: number,
  payload: string | Buffer,
  timeoutMs = 3_000,
): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ data, closed: false });
    }, timeoutMs);
    socket.on('data', (d) => {
      data += d.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data, closed: true });
    });
    socket.write(payload);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `predicate` every 5 ms until true or `timeoutMs` passes. */
export async function waitFor(
  predicate: () => boolean,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
