/**
 * The one HTTP call health makes: a bounded GET with a hard deadline, used by active probes and model
 * discovery. It never throws: every outcome (2xx, other status, network error, timeout, oversized body) is
 * a value, so a misbehaving upstream can never surface as an unhandled rejection.
 *
 * Each call asks for a fresh connection (`reset: true` → `Connection: close`), as HAProxy checks do: a
 * probe then tests that the endpoint accepts connections, and it cannot lose the race with the upstream's
 * keep-alive timeout that a reused idle socket would (a false "down").
 */
import { setMaxListeners } from 'node:events';
import { type Dispatcher, request } from 'undici';

export interface HealthGetOptions {
  /** Connection pool to use (health owns one so that `stop()` can close it). */
  dispatcher: Dispatcher;
  /** Deadline for the whole exchange, connect to last body byte. */
  timeoutMs: number;
  /** Sent as `Authorization: Bearer …` when set. Never part of a returned reason. */
  apiKey?: string | undefined;
  /** Return at most this many body bytes; a larger body is a failure. 0: discard the body. */
  maxBodyBytes: number;
  /** Aborts the call (shutdown); an aborted call reports `aborted: true`. */
  signal?: AbortSignal | undefined;
}

export type HealthGetResult =
  | { ok: true; status: number; body: Buffer }
  | { ok: false; reason: string; aborted: boolean };

/** GETs `url`; `ok` only for a 2xx status whose body was read within the limits. */
export async function healthGet(url: string, options: HealthGetOptions): Promise<HealthGetResult> {
  // One controller per call, fed by our own timer and the caller's signal. (Not AbortSignal.any: derived
  // signals of a long-lived parent have leaked in some Node 20 releases, and probes run forever.)
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  timer.unref();
  const onStop = () => controller.abort();
  if (options.signal?.aborted) controller.abort();
  else options.signal?.addEventListener('abort', onStop, { once: true });
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'fulcrum-health' };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  try {
    const res = await request(url, {
      method: 'GET',
      headers,
      signal: controller.signal,
      dispatcher: options.dispatcher,
      reset: true,
    });
    if (res.statusCode < 200 || res.statusCode > 299) {
      // Always consume (or cut) the body so the connection is released.
      await res.body.dump({ limit: 64 * 1024 });
      return failure(`status ${res.statusCode}`);
    }
    if (options.maxBodyBytes === 0) {
      await res.body.dump({ limit: 64 * 1024 });
      return { ok: true, status: res.statusCode, body: Buffer.alloc(0) };
    }
    const tooLarge = `body larger than ${options.maxBodyBytes} bytes`;
    if (Number(res.headers['content-length'] ?? 0) > options.maxBodyBytes) {
      res.body.destroy();
      return failure(tooLarge);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > options.maxBodyBytes) {
        res.body.destroy();
        return failure(tooLarge);
      }
      chunks.push(buf);
    }
    return { ok: true, status: res.statusCode, body: Buffer.concat(chunks) };
  } catch (err) {
    if (timedOut) return failure(`timeout after ${options.timeoutMs} ms`);
    if (options.signal?.aborted) return { ok: false, reason: 'aborted', aborted: true };
    return failure(describeError(err));
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onStop);
  }
}

function failure(reason: string): HealthGetResult {
  return { ok: false, reason, aborted: false };
}

/** A short, secret-free description: the error code when there is one (ECONNREFUSED, UND_ERR_SOCKET…). */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return 'request failed';
  const code = (err as { code?: unknown }).code;
  const cause = (err as { cause?: { code?: unknown } }).cause?.code;
  const name = typeof code === 'string' ? code : typeof cause === 'string' ? cause : err.name;
  return `${name}: ${err.message}`.slice(0, 200);
}

/**
 * An AbortController for a checker's lifetime: every probe in flight listens on its signal, so with many
 * endpoints Node's default cap of 10 listeners would warn (MaxListenersExceededWarning) without a leak.
 */
export function unlimitedController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
