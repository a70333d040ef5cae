/**
 * OpenAI response shapes the simulator sends: streaming chunks (`chat.completion.chunk`, `text_completion`),
 * whole responses, usage, errors and the SSE framing. Kept apart from the server so that their exact shape,
 * which the official SDK and Fulcrum's SSE relay both depend on, is in one place.
 */

/** OpenAI `usage`, with vLLM's `prompt_tokens_details.cached_tokens` (the request's real prefix hit). */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

export function usage(prompt: number, completion: number, cached: number): Usage {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
  };
}

/** Identity fields shared by every chunk of one response. */
export interface ResponseIdentity {
  id: string;
  created: number;
  model: string;
}

/** One SSE event carrying a JSON payload. */
export function sseData(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

/** The stream terminator OpenAI sends. */
export const SSE_DONE = 'data: [DONE]\n\n';

/** A chat streaming chunk; `delta` is `{}` on the final chunk, which carries `finish_reason`. */
export function chatChunk(
  r: ResponseIdentity,
  delta: { role?: 'assistant'; content?: string },
  finish: string | null,
): unknown {
  return {
    id: r.id,
    object: 'chat.completion.chunk',
    created: r.created,
    model: r.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
}

/** A legacy-completions streaming chunk. */
export function completionChunk(r: ResponseIdentity, text: string, finish: string | null): unknown {
  return {
    id: r.id,
    object: 'text_completion',
    created: r.created,
    model: r.model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
  };
}

/** The extra chunk sent when `stream_options.include_usage` is true: no choices, only usage. */
export function usageChunk(r: ResponseIdentity, object: string, u: Usage): unknown {
  return { id: r.id, object, created: r.created, model: r.model, choices: [], usage: u };
}

/** A whole (non-streaming) chat completion. */
export function chatCompletion(r: ResponseIdentity, text: string, finish: string, u: Usage): unknown {
  return {
    id: r.id,
    object: 'chat.completion',
    created: r.created,
    model: r.model,
    choices: [
      { index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: finish },
    ],
    usage: u,
  };
}

/** A whole (non-streaming) legacy completion. */
export function textCompletion(r: ResponseIdentity, text: string, finish: string, u: Usage): unknown {
  return {
    id: r.id,
    object: 'text_completion',
    created: r.created,
    model: r.model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
    usage: u,
  };
}

/** OpenAI's error body. */
export function errorBody(
  status: number,
  message: string,
  type: string,
  param: string | null = null,
): unknown {
  return { error: { message, type, param, code: status } };
}
