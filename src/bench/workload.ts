/**
 * What the bench sends: a workload is an ordered list of `BenchRequest`s, each with its arrival time in
 * *virtual* milliseconds (engine time, before any `--time-scale` compression) and the exact input and output
 * lengths to ask for. Prompt text is not stored: a request names the pseudo-text blocks its messages are made
 * of (see pseudo-text.ts) and the body is rendered only when the request is sent, so that a 4,000-request
 * Mooncake replay (15k-token prompts) does not hold 250 MB of strings.
 */

/** A piece of prompt text: the concatenation of the pseudo-text blocks `blocks`, cut to `tokens` tokens. */
export interface TextSpec {
  /** Block ids in order; equal leading ids mean an equal leading text. */
  readonly blocks: readonly number[];
  /** Total length in (simulated) tokens; the last block is cut short when it is less than a full block. */
  readonly tokens: number;
}

/** One chat message of a request. */
export interface MessageSpec {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: TextSpec;
}

/** One request of a workload. */
export interface BenchRequest {
  /** Position in the workload (0-based); stable across contenders. */
  readonly index: number;
  /** Arrival time in virtual ms since the start of the workload. */
  readonly atMs: number;
  /** The conversation; a completions request joins the messages' text. */
  readonly messages: readonly MessageSpec[];
  /** Nominal prompt length in tokens (sum of the messages' `tokens`). */
  readonly inputTokens: number;
  /** Exact number of output tokens to request. */
  readonly outputTokens: number;
  /** Groups the requests of one chat session or one trace user, when known. */
  readonly session?: string;
}

/** A named, fully generated workload. */
export interface Workload {
  /** Human-readable description, e.g. `mooncake:synthetic_trace.jsonl` or `chat-sessions(seed=1)`. */
  readonly name: string;
  readonly requests: readonly BenchRequest[];
}

/** Sum of the message lengths. */
export function totalTokens(messages: readonly MessageSpec[]): number {
  let n = 0;
  for (const m of messages) n += m.content.tokens;
  return n;
}

/**
 * Allocates block ids that no other text uses, for prompt text that must share nothing (Azure traces,
 * ShareGPT-like requests, the unique tail of a RAG question). Ids start far above any trace's ids.
 */
export class UniqueBlocks {
  private next: number;
  /** @param start First id handed out. Default 2^40 (Mooncake ids are below 10^5). */
  constructor(start = 2 ** 40) {
    this.next = start;
  }
  /** A fresh text of `tokens` tokens. */
  text(tokens: number, blockTokens: number): TextSpec {
    const count = Math.max(1, Math.ceil(tokens / blockTokens));
    const blocks: number[] = [];
    for (let i = 0; i < count; i++) blocks.push(this.next++);
    return { blocks, tokens };
  }
}
