/**
 * Parses and validates the JSON body of an OpenAI request far enough to route it: `model`, `stream`, the
 * prompt's rough size and the requested output length. Anything else is passed through untouched; the
 * endpoint validates the rest. Every failure is a 400 with the offending `param`, before any endpoint sees
 * the request.
 */
import { FulcrumError } from '../core/errors.js';

/** JSON nesting deeper than this is refused before parsing (no legitimate request comes close). */
export const MAX_JSON_DEPTH = 128;

/** What routing needs to know about a request body. */
export interface ParsedBody {
  /** The parsed JSON object (kept for model rewrites). */
  json: Record<string, unknown>;
  model: string;
  stream: boolean;
  /** Rough prompt size in tokens (body bytes / 4). */
  estimatedPromptTokens: number;
  /** `max_completion_tokens` or `max_tokens`, when given. */
  maxOutputTokens: number | undefined;
}

/** Which fields an endpoint requires, by API path. */
const REQUIRED_FIELDS: Record<string, { field: string; check: (v: unknown) => boolean; what: string }> = {
  '/v1/chat/completions': {
    field: 'messages',
    check: (v) => Array.isArray(v) && v.length > 0,
    what: 'a non-empty array',
  },
  '/v1/completions': {
    field: 'prompt',
    check: (v) => typeof v === 'string' || Array.isArray(v),
    what: 'a string or an array',
  },
  '/v1/embeddings': {
    field: 'input',
    check: (v) => typeof v === 'string' || Array.isArray(v),
    what: 'a string or an array',
  },
};

/** Whether a Content-Type header value is JSON (absent is tolerated, as the OpenAI API does). */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined || value === 'application/json') return true;
  const type = value.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

/**
 * Parses `body` for the API at `path`. `requireModel` is false for pass-through `/v1/*` routes, where a
 * model is used for routing only when present.
 */
export function parseBody(body: Buffer, path: string, requireModel: boolean): ParsedBody {
  if (body.length === 0) throw invalid('invalid_json', 'The request body is empty; expected a JSON object.');
  // Each nesting level costs at least one byte, so a short body cannot be too deep.
  if (body.length > MAX_JSON_DEPTH && exceedsDepth(body, MAX_JSON_DEPTH)) {
    throw invalid('invalid_json', `The request body nests JSON deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw invalid('invalid_json', `The request body is not valid JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw invalid('invalid_json', 'The request body must be a JSON object.');
  }
  const obj = json as Record<string, unknown>;
  const model = obj.model;
  if (model === undefined && !requireModel) {
    return {
      json: obj,
      model: '',
      stream: obj.stream === true,
      estimatedPromptTokens: 0,
      maxOutputTokens: undefined,
    };
  }
  if (typeof model !== 'string' || model.length === 0 || model.length > 256) {
    throw invalid(
      'invalid_request',
      'The `model` field is required and must be a non-empty string.',
      'model',
    );
  }
  if (obj.stream !== undefined && obj.stream !== null && typeof obj.stream !== 'boolean') {
    throw invalid('invalid_request', 'The `stream` field must be a boolean.', 'stream');
  }
  const required = REQUIRED_FIELDS[path];
  if (required && !required.check(obj[required.field])) {
    throw invalid(
      'invalid_request',
      `The \`${required.field}\` field must be ${required.what}.`,
      required.field,
    );
  }
  const maxOut = obj.max_completion_tokens ?? obj.max_tokens;
  return {
    json: obj,
    model,
    stream: obj.stream === true,
    estimatedPromptTokens: Math.ceil(body.length / 4),
    maxOutputTokens: typeof maxOut === 'number' && maxOut > 0 ? maxOut : undefined,
  };
}

function invalid(code: 'invalid_json' | 'invalid_request', message: string, param?: string): FulcrumError {
  return new FulcrumError(code, message, param === undefined ? {} : { param });
}

/**
 * Linear scan for bracket depth outside strings, so a hostile 10k-deep body never reaches JSON.parse. Strings
 * are skipped with `indexOf` (native memchr) rather than byte by byte: prompts are mostly string bytes, and a
 * 10 MB prompt costs ~1 ms instead of ~16 ms.
 */
export function exceedsDepth(body: Buffer, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === 0x22) {
      i = closingQuote(body, i + 1);
      if (i === -1) return false; // unterminated string: JSON.parse reports it
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Index of the quote that closes a string starting at `from`, or -1. */
function closingQuote(body: Buffer, from: number): number {
  let q = body.indexOf(0x22, from);
  while (q !== -1) {
    // Escaped only if preceded by an odd run of backslashes (`\\"` closes, `\\\"` does not).
    let slashes = 0;
    while (q - 1 - slashes >= from && body[q - 1 - slashes] === 0x5c) slashes++;
    if (slashes % 2 === 0) return q;
    q = body.indexOf(0x22, q + 1);
  }
  return -1;
}
