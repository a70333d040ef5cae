/**
 * The one place where a `FulcrumError` becomes what a client sees: an OpenAI-style JSON body
 * `{"error":{"message","type","param","code"}}` with the right HTTP status (before the commit point), or a
 * terminal SSE event (after it). Official OpenAI SDKs turn both into typed exceptions.
 */
import type { ServerResponse } from 'node:http';
import { asFulcrumError, type FulcrumError } from '../core/errors.js';
import type { DataPlaneResponse } from './h1/response.js';

/**
 * Statuses answered before the request was fully read or understood (size, deadline, URL, header limits,
 * framing): leftover bytes on the connection would be parsed as the next request, so it is closed.
 */
const CLOSES_CONNECTION = new Set([408, 413, 414, 431, 501]);

/** The JSON body OpenAI's API uses for errors. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

export function toOpenAIError(err: FulcrumError): OpenAIErrorBody {
  return { error: { message: err.message, type: err.type, param: err.param ?? null, code: err.code } };
}

/**
 * Sends an error response if nothing was sent yet; otherwise ends the response (a half-sent body cannot be
 * turned into an error). Extra headers (x-request-id, x-fulcrum-*) are added when given. Never throws.
 */
export function sendError(
  res: DataPlaneResponse | ServerResponse,
  error: unknown,
  extraHeaders?: Record<string, string>,
): void {
  const err = asFulcrumError(error);
  if (res.destroyed || res.writableEnded) return;
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify(toOpenAIError(err));
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...extraHeaders,
  };
  if (err.retryAfterSec !== undefined) headers['retry-after'] = Math.max(1, Math.ceil(err.retryAfterSec));
  if (CLOSES_CONNECTION.has(err.status)) headers.connection = 'close';
  try {
    res.writeHead(err.status, headers);
    res.end(body);
  } catch {
    res.destroy();
  }
}

/** The terminal SSE event that ends a stream cut after the commit point (no `[DONE]` follows it). */
export function sseErrorEvent(error: unknown): string {
  return `data: ${JSON.stringify(toOpenAIError(asFulcrumError(error)))}\n\n`;
}
