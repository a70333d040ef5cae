/**
 * Few-shot / RAG prompts over a small set of shared documents: each request is a short shared instruction,
 * one of `documents` long documents (Zipf-popular) and a unique question. Requests on the same document
 * share instruction + document as a prefix. Poisson arrivals.
 */
import { seededRandom } from '../../core/prng.js';
import { BLOCK_TOKENS } from '../pseudo-text.js';
import {
  type BenchRequest,
  type MessageSpec,
  totalTokens,
  UniqueBlocks,
  type Workload,
} from '../workload.js';
import { finish } from './chat-sessions.js';
import { exponential, lognormalInt, zipf } from './sampling.js';

export interface SharedDocsOptions {
  /** PRNG seed. Default 1. */
  seed?: number;
  /** Number of requests. Default 1000. */
  requests?: number;
  /** Mean request rate, virtual req/s. Default 4. */
  rate?: number;
  /** Number of distinct documents. Default 8. */
  documents?: number;
  /** Document length in tokens, rounded up to whole 512-token blocks. Default 4096. */
  documentTokens?: number;
  /** Zipf exponent of document popularity (0 = uniform). Default 1. */
  zipfS?: number;
  /** Shared instruction length in tokens. Default 256. */
  instructionTokens?: number;
  /** Median question length (lognormal, σ 0.6). Default 64. */
  questionTokens?: number;
  /** Median answer length (lognormal, σ 0.6, at most 1024). Default 120. */
  outputTokens?: number;
}

const INSTRUCTION_BLOCK = 3_100_000_000;
const DOC_BLOCK_BASE = 3_200_000_000;

export function sharedDocs(options: SharedDocsOptions = {}): Workload {
  const seed = options.seed ?? 1;
  const count = options.requests ?? 1000;
  const gapMs = 1000 / (options.rate ?? 4);
  const documents = options.documents ?? 8;
  const docBlocks = Math.max(1, Math.ceil((options.documentTokens ?? 4096) / BLOCK_TOKENS));
  const random = seededRandom(seed);
  const unique = new UniqueBlocks(2 ** 40 + seed * 2 ** 32 + 2 ** 31);
  const system: MessageSpec = {
    role: 'system',
    content: {
      blocks: [INSTRUCTION_BLOCK],
      tokens: Math.min(BLOCK_TOKENS, options.instructionTokens ?? 256),
    },
  };
  const out: Omit<BenchRequest, 'index'>[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    at += exponential(random, gapMs);
    const doc = zipf(random, documents, options.zipfS ?? 1);
    const question = unique.text(
      lognormalInt(random, options.questionTokens ?? 64, 0.6, 4, 2048),
      BLOCK_TOKENS,
    );
    const blocks = [
      ...Array.from({ length: docBlocks }, (_, k) => DOC_BLOCK_BASE + doc * 1000 + k),
      ...question.blocks,
    ];
    const user: MessageSpec = {
      role: 'user',
      content: { blocks, tokens: docBlocks * BLOCK_TOKENS + question.tokens },
    };
    const messages = [system, user];
    const outLen = lognormalInt(random, options.outputTokens ?? 120, 0.6, 4, 1024);
    out.push({
      atMs: at,
      messages,
      inputTokens: totalTokens(messages),
      outputTokens: outLen,
      session: `doc${doc}`,
    });
  }
  return finish(`shared-docs(seed=${seed})`, out);
}
