/**
 * Reads a request body with hard bounds: a size cap (413 as soon as it is known, before reading when
 * Content-Length says so) and a deadline for the whole body (408, against slow-body attacks), for the admin
 * listener's node:http requests. (The data plane's server reads bodies itself, src/server/h1/connection.ts.)
 */
import type { IncomingMessage } from 'node:http';
import type { DeadlineList } from '../core/deadline-list.js';
import { FulcrumError } from '../core/errors.js';

export interface ReadBodyOptions {
  /** Largest accepted body, in bytes. */
  maxBytes: number;
  /**
   * The deadline for the whole body (its `durationMs`), or undefined for none. A shared list rather than a
   * timer per request: see core/deadline-list.ts.
   */
  deadlines: DeadlineList | undefined;
}

/** Thrown when the client went away while sending its body: there is nobody left to answer. */
export class ClientGoneError extends Error {
  constructor() {
    super('client closed the connection');
  }
}

export function readBody(req: IncomingMessage, options: ReadBodyOptions): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > options.maxBytes) {
    return Promise.reject(tooLarge(options.maxBytes));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const deadline = options.deadlines?.add(() =>
      finish(new FulcrumError('request_timeout', 'Timed out reading the request body.')),
    );

    function finish(err?: Error): void {
      if (settled) return;
      settled = true;
      if (deadline) options.deadlines!.cancel(deadline);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (err) {
        // Stop reading: the response will say `Connection: close` and the rest of the body is dropped.
        req.pause();
        reject(err);
      } else {
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      }
    }
    function onData(chunk: Buffer): void {
      size += chunk.length;
      if (size > options.maxBytes) {
        finish(tooLarge(options.maxBytes));
        return;
      }
      chunks.push(chunk);
    }
    function onEnd(): void {
      finish();
    }
    function onError(): void {
      finish(new ClientGoneError());
    }
    function onClose(): void {
      if (!req.complete) finish(new ClientGoneError());
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function tooLarge(maxBytes: number): FulcrumError {
  return new FulcrumError('payload_too_large', `Request body exceeds the limit of ${maxBytes} bytes.`);
}
