/**
 * Turns an OpenAI request body into what the engine needs: prompt token ids (chat rendered through the
 * template first), and the exact output length. Output length follows vLLM: generation stops at the request's
 * own "EOS" (a deterministic draw per request) unless `ignore_eos` is set, never before `min_tokens`, never
 * after `max_tokens` — so a trace replay that sends `max_tokens = min_tokens = n` (or `ignore_eos`) gets
 * exactly n tokens.
 */
import { type ChatMessage, renderChat } from './chat-template.js';
import type { FinishReason } from './engine-types.js';
import { naturalLength, requestSeed } from './output-text.js';
import { tokenize } from './tokenizer.js';

/** A request error: sent as an OpenAI error with this status. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'BadRequestError',
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/** A parsed generation request. */
export interface GenerationRequest {
  kind: 'chat' | 'completion';
  model: string;
  promptTokens: number[];
  stream: boolean;
  includeUsage: boolean;
  /** Tokens to generate and the reason to report at the end. */
  outputTokens: number;
  finishReason: FinishReason;
  /** Seed of the output text. */
  seed: number;
}

type Body = Record<string, unknown>;

function optInt(body: Body, key: string, min: number): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new RequestError(400, `"${key}" must be an integer >= ${min}`, 'BadRequestError', key);
  }
  return v;
}

function tokenArray(v: unknown): number[] | undefined {
  if (!Array.isArray(v) || v.length === 0) return undefined;
  return v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0) ? (v as number[]) : undefined;
}

/** Prompt token ids of a completions `prompt` or an embeddings `input` element: text or token ids. */
export function promptOf(v: unknown, param: string): number[] {
  if (typeof v === 'string') return tokenize(v);
  const ids = tokenArray(v);
  if (ids) return ids;
  throw new RequestError(
    400,
    `"${param}" must be a string or an array of token ids`,
    'BadRequestError',
    param,
  );
}

/** Validates and parses a chat or completions body. `defaultModel` fills a missing `model`. */
export function parseGeneration(
  kind: 'chat' | 'completion',
  body: Body,
  opts: { defaultModel: string; maxModelLen: number; simSeed: number },
): GenerationRequest {
  const model = typeof body.model === 'string' ? body.model : opts.defaultModel;
  let promptTokens: number[];
  if (kind === 'chat') {
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0) {
      throw new RequestError(400, '"messages" must be a non-empty array', 'BadRequestError', 'messages');
    }
    for (const m of messages) {
      if (typeof m !== 'object' || m === null || typeof (m as ChatMessage).role !== 'string') {
        throw new RequestError(400, 'every message needs a "role"', 'BadRequestError', 'messages');
      }
    }
    promptTokens = tokenize(renderChat(messages as ChatMessage[], body.tools));
  } else {
    let prompt = body.prompt;
    if (
      Array.isArray(prompt) &&
      prompt.length === 1 &&
      (typeof prompt[0] === 'string' || Array.isArray(prompt[0]))
    ) {
      prompt = prompt[0];
    }
    promptTokens = promptOf(prompt, 'prompt');
  }
  const n = optInt(body, 'n', 1);
  if (n !== undefined && n > 1)
    throw new RequestError(400, 'the simulator supports n = 1 only', 'BadRequestError', 'n');
  const room = opts.maxModelLen - promptTokens.length;
  const maxTokens =
    optInt(body, 'max_completion_tokens', 1) ?? optInt(body, 'max_tokens', 1) ?? Math.max(1, room);
  const minTokens = optInt(body, 'min_tokens', 0) ?? 0;
  if (minTokens > maxTokens) {
    throw new RequestError(
      400,
      `min_tokens (${minTokens}) must be <= max_tokens (${maxTokens})`,
      'BadRequestError',
    );
  }
  const userSeed = optInt(body, 'seed', Number.MIN_SAFE_INTEGER);
  const seed = requestSeed(opts.simSeed, promptTokens, userSeed);
  const natural = naturalLength(seed);
  const ignoreEos = body.ignore_eos === true;
  const outputTokens = ignoreEos ? maxTokens : Math.min(Math.max(natural, minTokens, 1), maxTokens);
  // 'length' when the limit cut the reply (or held off its EOS until the limit), as vLLM reports it.
  const finishReason: FinishReason =
    ignoreEos || (outputTokens === maxTokens && natural !== maxTokens) ? 'length' : 'stop';
  const streamOptions = body.stream_options as { include_usage?: unknown } | undefined | null;
  return {
    kind,
    model,
    promptTokens,
    stream: body.stream === true,
    includeUsage: body.stream === true && streamOptions?.include_usage === true,
    outputTokens,
    finishReason,
    seed,
  };
}
