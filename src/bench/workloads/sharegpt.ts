/**
 * ShareGPT-like requests: lognormal prompt and answer lengths with no shared text at all, Poisson arrivals.
 * Default medians (170 in, 150 out) are close to the ShareGPT-V3 length distribution that vLLM's
 * benchmark_serving samples from; the set itself is not bundled.
 */
import { seededRandom } from '../../core/prng.js';
import { BLOCK_TOKENS } from '../pseudo-text.js';
import { type BenchRequest, UniqueBlocks, type Workload } from '../workload.js';
import { finish } from './chat-sessions.js';
import { exponential, lognormalInt } from './sampling.js';

export interface ShareGptOptions {
  /** PRNG seed. Default 1. */
  seed?: number;
  /** Number of requests. Default 1000. */
  requests?: number;
  /** Mean request rate, virtual req/s. Default 4. */
  rate?: number;
  /** Median prompt length (lognormal σ 1.0, 4–8192). Default 170. */
  inputTokens?: number;
  /** Median answer length (lognormal σ 0.9, 4–2048). Default 150. */
  outputTokens?: number;
}

export function shareGpt(options: ShareGptOptions = {}): Workload {
  const seed = options.seed ?? 1;
  const random = seededRandom(seed);
  const unique = new UniqueBlocks(2 ** 40 + seed * 2 ** 32 + 3 * 2 ** 30);
  const gapMs = 1000 / (options.rate ?? 4);
  const out: Omit<BenchRequest, 'index'>[] = [];
  let at = 0;
  for (let i = 0; i < (options.requests ?? 1000); i++) {
    at += exponential(random, gapMs);
    const input = lognormalInt(random, options.inputTokens ?? 170, 1.0, 4, 8192);
    const output = lognormalInt(random, options.outputTokens ?? 150, 0.9, 4, 2048);
    out.push({
      atMs: at,
      messages: [{ role: 'user', content: unique.text(input, BLOCK_TOKENS) }],
      inputTokens: input,
      outputTokens: output,
    });
  }
  return finish(`sharegpt(seed=${seed})`, out);
}
