#!/usr/bin/env node
/**
 * Experiment, not a product feature: what Fulcrum's streaming path would cost on a data-plane HTTP/1.1
 * server of its own instead of node:http. It takes `fulcrum serve`'s arguments (only `--backend`, `--port`,
 * `--host` are read) and serves POSTs with Fulcrum's real upstream side (the compiled `H1Pool`, SSE framer,
 * idle deadlines, request-id and header rewriting) behind a bare `net.Server`: the request head is parsed by
 * hand, the body read by Content-Length and parsed as JSON (Fulcrum routes by `model`), and the response
 * head and each chunked frame go straight to the socket. No IncomingMessage, ServerResponse or stream
 * states beyond the socket's own.
 *
 *   npm run build && npm run bench:proxy -- --contenders nginx,fulcrum --phases sse \
 *     --fulcrum-launcher scripts/raw-server-experiment.mjs
 *
 * It answers "how much of Fulcrum's CPU per stream above a byte relay (scripts/l4-floor-experiment.mjs) is
 * node:http's?" (docs/benchmarks.md, run 18). It is not a server for anything else: no timeouts on the
 * client side, no limits, no pipelining, no errors in OpenAI's shape, no backpressure.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { deadlineListFor } from '../dist/src/core/deadline-list.js';
import {
  downstreamResponseHeaders,
  isEventStream,
  upstreamRequestHeaders,
} from '../dist/src/proxy/headers.js';
import { SseFramer } from '../dist/src/proxy/sse-framer.js';
import { H1Pool } from '../dist/src/upstream/h1-pool.js';

const args = process.argv.slice(2);
const backends = [];
let port = 0;
let host = '127.0.0.1';
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--backend') backends.push(args[++i]);
  else if (args[i] === '--port') port = Number(args[++i]);
  else if (args[i] === '--host') host = args[++i];
}
if (backends.length === 0) throw new Error('usage: raw-server-experiment.mjs serve --backend URL…');

const pools = backends.map((url) => new H1Pool(url, { connections: null, connectTimeoutMs: 5000 }));
const idle = deadlineListFor(60_000);
const HEAD_END = Buffer.from('\r\n\r\n');
let next = 0;

/** One client connection: reads one request at a time, answers it, reads the next. */
class ClientConnection {
  /** @param {net.Socket} socket */
  constructor(socket) {
    this.socket = socket;
    /** @type {Buffer | undefined} */
    this.buffered = undefined;
    this.busy = false;
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('end', () => socket.end());
    socket.on('error', () => socket.destroy());
  }

  onData(chunk) {
    this.buffered = this.buffered ? Buffer.concat([this.buffered, chunk]) : chunk;
    if (!this.busy) this.tryRequest();
  }

  tryRequest() {
    const buf = this.buffered;
    if (!buf) return;
    const headEnd = buf.indexOf(HEAD_END);
    if (headEnd === -1) return;
    const lines = buf.toString('latin1', 0, headEnd).split('\r\n');
    const [method, url] = lines[0].split(' ');
    const headers = {};
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      headers[lines[i].slice(0, colon).toLowerCase()] = lines[i].slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const bodyStart = headEnd + 4;
    if (buf.length < bodyStart + length) return;
    const body = buf.subarray(bodyStart, bodyStart + length);
    this.buffered = buf.length > bodyStart + length ? buf.subarray(bodyStart + length) : undefined;
    this.busy = true;
    const parsed = JSON.parse(body.toString('utf8'));
    const id = randomUUID();
    const pool = pools[next++ % pools.length];
    pool.dispatch(
      {
        method,
        path: url,
        headers: upstreamRequestHeaders(headers, {
          requestId: id,
          peerIp: this.socket.remoteAddress ?? '',
          proto: 'http',
          apiKey: undefined,
          contentLength: body.length,
          stream: parsed.stream === true,
        }),
        body: Buffer.from(body),
      },
      new Relay(this, id),
    );
  }

  done() {
    this.busy = false;
    this.tryRequest();
  }
}

/** The upstream handler: the response head and chunked frames straight to the client socket. */
class Relay {
  constructor(client, id) {
    this.client = client;
    this.id = id;
    this.framer = undefined;
    this.head = undefined;
    this.deadline = undefined;
  }
  onRequestStart() {}
  onResponseStart(_c, status, headers) {
    const sse = isEventStream(headers['content-type']);
    const out = downstreamResponseHeaders(headers, sse);
    out['x-request-id'] = this.id;
    out['x-fulcrum-backend'] = 'b';
    out['x-fulcrum-attempts'] = '1';
    if (sse) {
      out['x-accel-buffering'] = 'no';
      this.framer = new SseFramer();
    }
    let head = `HTTP/1.1 ${status} OK\r\n`;
    for (const name in out) head += `${name}: ${out[name]}\r\n`;
    this.head = `${head}transfer-encoding: chunked\r\n\r\n`;
    this.deadline = idle?.add(() => this.client.socket.destroy());
  }
  onResponseData(_c, chunk) {
    if (this.deadline) idle.refresh(this.deadline);
    const out = this.framer ? this.framer.push(chunk) : chunk;
    if (out === undefined) return;
    const size = out.length.toString(16);
    let frame;
    if (this.head) {
      frame = Buffer.allocUnsafe(this.head.length + size.length + out.length + 4);
      frame.latin1Write(this.head, 0);
      frame.latin1Write(size, this.head.length);
      this.head = undefined;
    } else {
      frame = Buffer.allocUnsafe(size.length + out.length + 4);
      frame.latin1Write(size, 0);
    }
    let at = frame.length - out.length - 4 + 0;
    frame[at++] = 13;
    frame[at++] = 10;
    at += out.copy(frame, at);
    frame[at++] = 13;
    frame[at] = 10;
    this.client.socket.write(frame);
  }
  onResponseEnd() {
    if (this.deadline) idle.cancel(this.deadline);
    this.client.socket.write(this.head ? `${this.head}0\r\n\r\n` : '0\r\n\r\n');
    this.client.done();
  }
  onResponseError() {
    if (this.deadline) idle.cancel(this.deadline);
    this.client.socket.destroy();
  }
}

const server = net.createServer({ noDelay: true }, (socket) => new ClientConnection(socket));
server.listen({ port, host, backlog: 4096 }, () => {
  console.log(`raw server experiment listening on http://${host}:${server.address().port}`);
});
process.once('SIGTERM', () => process.exit(0));
