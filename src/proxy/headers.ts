/**
 * Header hygiene in both directions (RFC 9110 §7.6.1). Hop-by-hop headers, and any header the `Connection`
 * header names, describe one connection and must not cross the proxy: forwarding them breaks framing or lets
 * a client smuggle instructions to the upstream. We re-frame every message ourselves (fresh Content-Length
 * upstream, chunked or length-delimited downstream as Node decides).
 */
import type { IncomingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Request headers the client may not pass to the upstream: the ones we set ourselves, client-address claims we
 * cannot vouch for (`X-Real-IP`, `Forwarded`: an upstream that believes them would be spoofed; we append to
 * `X-Forwarded-For` instead), and method overrides (the upstream would run a different method than the one
 * Fulcrum routed and, later, authorised).
 */
const REQUEST_OWNED = new Set([
  'host',
  'content-length',
  'expect',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-real-ip',
  'forwarded',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
]);

type HeaderValue = string | string[] | undefined;

/** Header names listed in a `Connection` header value. */
function connectionListed(value: HeaderValue): Set<string> | undefined {
  // The usual values name no header: skip the split on every request.
  if (value === undefined || value === 'keep-alive' || value === 'close') return undefined;
  const joined = Array.isArray(value) ? value.join(',') : value;
  const names = joined
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0 && s !== 'close' && s !== 'keep-alive');
  return names.length > 0 ? new Set(names) : undefined;
}

export interface UpstreamHeaderOptions {
  /** The request id, sent as `x-request-id`. */
  requestId: string;
  /** The socket peer address, appended to `X-Forwarded-For`. */
  peerIp: string;
  /** `http` or `https`, as received. */
  proto: string;
  /** Replaces the client's `Authorization` when set. */
  apiKey: string | undefined;
  /** Byte length of the body we will send. */
  contentLength: number;
  /** Streaming responses must not be compressed. */
  stream: boolean;
}

/**
 * Builds the headers for the upstream request from the client's. Names with an underscore are dropped
 * (NGINX's default, `underscores_in_headers off`): CGI/WSGI-style servers map `-` and `_` to the same
 * variable, so `x_forwarded_for` could impersonate the `x-forwarded-for` we set.
 */
export function upstreamRequestHeaders(
  incoming: IncomingHttpHeaders,
  options: UpstreamHeaderOptions,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const listed = connectionListed(incoming.connection);
  for (const name in incoming) {
    if (HOP_BY_HOP.has(name) || REQUEST_OWNED.has(name) || listed?.has(name) || name.includes('_')) continue;
    const value = incoming[name];
    if (value !== undefined) out[name] = value;
  }
  const prior = incoming['x-forwarded-for'];
  const priorText = Array.isArray(prior) ? prior.join(', ') : prior;
  out['x-forwarded-for'] = priorText ? `${priorText}, ${options.peerIp}` : options.peerIp;
  out['x-forwarded-proto'] = options.proto;
  out['x-request-id'] = options.requestId;
  out['content-length'] = String(options.contentLength);
  if (options.apiKey !== undefined) out.authorization = `Bearer ${options.apiKey}`;
  if (options.stream) out['accept-encoding'] = 'identity';
  return out;
}

/** Copies upstream response headers minus hop-by-hop ones. `stream` drops Content-Length (SSE is chunked). */
export function downstreamResponseHeaders(
  upstream: Record<string, HeaderValue>,
  stream: boolean,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const listed = connectionListed(upstream.connection);
  for (const name in upstream) {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    if (stream && name === 'content-length') continue;
    const value = upstream[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** Whether a Content-Type is Server-Sent Events. */
export function isEventStream(contentType: HeaderValue): boolean {
  const value = Array.isArray(contentType) ? contentType[0] : contentType;
  return value?.toLowerCase().startsWith('text/event-stream') === true;
}

/** A valid client-supplied request id: short, printable, no separators that could inject into logs. */
export function isValidRequestId(value: HeaderValue): value is string {
  return (
    typeof value === 'string' && value.length > 0 && value.length <= 128 && /^[A-Za-z0-9._:-]+$/.test(value)
  );
}

/** Parses `Retry-After` (seconds or HTTP date) into milliseconds from now, or undefined. */
export function parseRetryAfterMs(value: HeaderValue, nowEpochMs = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowEpochMs);
}
