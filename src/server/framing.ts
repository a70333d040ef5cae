/**
 * HTTP/1.1 framing and size rules on top of Node's parser (llhttp): request-level checks Node lets through,
 * and the answer to a request Node could not parse at all. Every refusal closes the connection: once
 * framing is in doubt, the following bytes cannot be trusted to be the next request.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { FulcrumError } from '../core/errors.js';
import { toOpenAIError } from './openai-error.js';

/**
 * Requests with more header fields than this get 431. Node's own cap (`maxHeadersCount`, 2,000) silently
 * drops the excess instead; 100 is Envoy's `max_headers_count` and HAProxy's `tune.http.maxhdr` default.
 */
export const MAX_REQUEST_HEADERS = 100;

/** Request targets longer than this get 414 (NGINX's default `large_client_header_buffers` is 8 KiB). */
export const MAX_URL_BYTES = 8_192;

/**
 * Request-level framing checks that Node's parser lets through: RFC 9112 wants a transfer coding we do not
 * implement answered with 501 (Node accepts `gzip, chunked` and would hand us still-gzipped bytes), a
 * `Transfer-Encoding` in HTTP/1.0 treated as faulty framing (§6.1), and more than one `Host` refused with 400
 * (§3.2), as is an HTTP/1.1 request without one. Too many header fields and over-long targets are limits of
 * our own (see the constants above).
 */
export function checkFraming(req: IncomingMessage, url: string): FulcrumError | undefined {
  if (Buffer.byteLength(url) > MAX_URL_BYTES) {
    return new FulcrumError('invalid_request', `The request target is longer than ${MAX_URL_BYTES} bytes.`, {
      status: 414,
    });
  }
  if (req.rawHeaders.length / 2 > MAX_REQUEST_HEADERS) {
    return new FulcrumError('invalid_request', `More than ${MAX_REQUEST_HEADERS} request header fields.`, {
      status: 431,
    });
  }
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) {
    if (req.httpVersion === '1.0') {
      return new FulcrumError('invalid_request', 'Transfer-Encoding is not allowed in HTTP/1.0.');
    }
    if (te.trim().toLowerCase() !== 'chunked') {
      return new FulcrumError('invalid_request', 'Only `Transfer-Encoding: chunked` is supported.', {
        status: 501,
      });
    }
  }
  let hosts = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
  }
  if (hosts > 1) return new FulcrumError('invalid_request', 'More than one Host header.');
  if (hosts === 0 && req.httpVersion === '1.1') {
    return new FulcrumError('invalid_request', 'HTTP/1.1 requests must carry a Host header.');
  }
  return undefined;
}

/** Sockets already answered by `answerClientError` (Node may report a broken connection more than once). */
const answered = new WeakSet<Socket>();

/** Answers HTTP parse errors (bad framing, oversized headers, header deadline) and closes the socket. */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (answered.has(socket)) return;
  answered.add(socket);
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const code = err.code ?? '';
  const [status, reason, fe] =
    code === 'HPE_HEADER_OVERFLOW'
      ? [
          431,
          'Request Header Fields Too Large',
          new FulcrumError('invalid_request', 'Request headers too large.'),
        ]
      : code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', new FulcrumError('request_timeout', 'Timed out reading the request.')]
        : [400, 'Bad Request', new FulcrumError('invalid_request', 'Malformed HTTP request.')];
  const body = JSON.stringify(toOpenAIError(fe));
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  socket.on('error', () => {});
  setTimeout(() => socket.destroy(), 1_000).unref();
}
