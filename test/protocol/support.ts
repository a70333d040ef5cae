/** Shared helpers for the HTTP protocol tests: raw request bytes, response parsing, post-conditions. */
import assert from 'node:assert/strict';
import net from 'node:net';
import { type Cluster, chat } from '../support/cluster.js';
import { postJson, waitFor } from '../support/http.js';

/** The data-plane port of a cluster. */
export function portOf(c: Cluster): number {
  return Number(new URL(c.fulcrum.url).port);
}

/** Requests received by all fake backends so far. */
export function forwarded(c: Cluster): number {
  return c.fakes.reduce((n, f) => n + f.requests.length, 0);
}

/** Raw HTTP/1.1 request bytes with `Host` and, for a body, `Content-Type` and `Content-Length`. */
export function rawRequest(
  method: string,
  target: string,
  options: { body?: string; headers?: string[]; version?: string } = {},
): string {
  const lines = [`${method} ${target} HTTP/${options.version ?? '1.1'}`, 'Host: fulcrum.test'];
  if (options.body !== undefined) {
    lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(options.body)}`);
  }
  lines.push(...(options.headers ?? []));
  return `${lines.join('\r\n')}\r\n\r\n${options.body ?? ''}`;
}

/** A raw chat request (valid unless the caller breaks it) with an `X-Request-Id`. */
export function rawChat(id: string, extra: Record<string, unknown> = {}, headers: string[] = []): string {
  return rawRequest('POST', '/v1/chat/completions', {
    body: JSON.stringify(chat(extra)),
    headers: [`X-Request-Id: ${id}`, ...headers],
  });
}

/** One parsed HTTP response from a raw byte stream. */
export interface RawResponse {
  status: number;
  /** Lower-cased names; repeated headers keep the last value. */
  headers: Record<string, string>;
  /** Header lines as received, for "this name never appears" checks. */
  headerLines: string[];
  body: string;
}

/**
 * Splits a raw (latin1) byte stream into HTTP/1.1 responses, decoding chunked and Content-Length bodies. A
 * response without either runs to the end of the data. Stops at the first thing that does not parse.
 */
export function parseResponses(data: string): RawResponse[] {
  const out: RawResponse[] = [];
  let rest = data;
  while (rest.startsWith('HTTP/1.')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) break;
    const [statusLine = '', ...headerLines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    rest = rest.slice(end + 4);
    let body = '';
    if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const lineEnd = rest.indexOf('\r\n');
        if (lineEnd === -1) return [...out, { status: status(statusLine), headers, headerLines, body }];
        const size = Number.parseInt(rest.slice(0, lineEnd), 16);
        body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
        rest = rest.slice(lineEnd + 2 + size + 2);
        if (size === 0 || Number.isNaN(size)) break;
      }
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      body = rest.slice(0, length);
      rest = rest.slice(length);
    } else {
      body = rest;
      rest = '';
    }
    out.push({ status: status(statusLine), headers, headerLines, body });
  }
  return out;
}

function status(line: string): number {
  return Number(line.split(' ')[1]);
}

/** A raw client socket that records what it receives and when it closed. */
export interface RawClient {
  socket: net.Socket;
  data(): string;
  /** performance.now() when the first response byte arrived, or undefined. */
  firstDataAt(): number | undefined;
  /** performance.now() at close, or undefined while open. */
  closedAt(): number | undefined;
  closed: Promise<number>;
}

export function rawClient(port: number, localAddress?: string): RawClient {
  const socket = net.connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
  let data = '';
  let closedAt: number | undefined;
  let firstDataAt: number | undefined;
  socket.on('data', (d) => {
    firstDataAt ??= performance.now();
    data += d.toString('latin1');
  });
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) =>
    socket.on('close', () => {
      closedAt = performance.now();
      resolve(closedAt);
    }),
  );
  return { socket, data: () => data, firstDataAt: () => firstDataAt, closedAt: () => closedAt, closed };
}

/**
 * The global post-conditions of the reliability plan that apply in-process: a normal request still succeeds,
 * no request is left in flight (Fulcrum and per-endpoint), and no error escaped to the last-resort handler.
 */
export async function assertHealthy(c: Cluster): Promise<void> {
  const res = await postJson(c.chatUrl, chat());
  assert.equal(res.status, 200, 'a normal request still succeeds');
  await waitFor(() => c.fulcrum.activeRequests() === 0, 2_000, 'activeRequests() back to 0');
  await waitFor(
    () => c.fulcrum.pool.endpoints.every((e) => e.state.inflight === 0),
    2_000,
    'every endpoint inflight back to 0',
  );
  // A counter with no samples renders no line: absent or 0 both mean nothing escaped.
  const uncaught = c.fulcrum.metrics
    .render()
    .split('\n')
    .filter((l) => l.startsWith('fulcrum_uncaught_errors_total'));
  for (const line of uncaught) assert.equal(Number(line.split(' ').at(-1)), 0, line);
}
