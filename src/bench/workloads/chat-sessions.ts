/**
 * Multi-turn chat sessions with a shared system prompt and growing history: the workload where prefix
 * affinity matters most. Every session starts with the same system prompt; turn k re-sends the whole
 * conversation so far (system, user 1, assistant 1, …, user k), so its prompt extends turn k−1's prompt
 * exactly. Assistant turns are pseudo-text of the length asked for earlier, not what a server answered,
 * so that every contender receives byte-identical requests.
 *
 * Arrivals: sessions start as a Poisson process; the turns of a session are spaced by an exponential
 * "think time" that includes reading the answer. The schedule is fixed in advance (open loop). The first
 * minutes ramp up while sessions accumulate (use a warm-up); after that the rate is about `rate`.
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
import { exponential, lognormalInt, uniformInt } from './sampling.js';

export interface ChatSessionsOptions {
  /** PRNG seed. Default 1. */
  seed?: number;
  /** Number of requests (turns) to generate. Default 1000. */
  requests?: number;
  /** Mean request rate in virtual req/s over all sessions. Default 4. */
  rate?: number;
  /** Shared system prompt length in tokens. Default 2048. */
  systemTokens?: number;
  /** Turns per session, uniform in [min, max]. Default 2–8. */
  turnsMin?: number;
  turnsMax?: number;
  /** Median user-message length in tokens (lognormal, σ 0.8). Default 120. */
  userTokens?: number;
  /** Median answer length in tokens (lognormal, σ 0.7, at most 1024). Default 180. */
  outputTokens?: number;
  /** Mean think time between turns of a session, in virtual seconds. Default 20. */
  thinkS?: number;
}

/** Block ids of the shared system prompt: a namespace of its own. */
const SYSTEM_BLOCK_BASE = 3_000_000_000;

export function chatSessions(options: ChatSessionsOptions = {}): Workload {
  const seed = options.seed ?? 1;
  const count = options.requests ?? 1000;
  const rate = options.rate ?? 4;
  const systemTokens = options.systemTokens ?? 2048;
  const turnsMin = options.turnsMin ?? 2;
  const turnsMax = Math.max(turnsMin, options.turnsMax ?? 8);
  const thinkMs = (options.thinkS ?? 20) * 1000;
  const random = seededRandom(seed);
  const unique = new UniqueBlocks(2 ** 40 + seed * 2 ** 32);
  const systemBlocks = Array.from(
    { length: Math.ceil(systemTokens / BLOCK_TOKENS) },
    (_, k) => SYSTEM_BLOCK_BASE + k,
  );
  const system: MessageSpec = { role: 'system', content: { blocks: systemBlocks, tokens: systemTokens } };
  const meanTurns = (turnsMin + turnsMax) / 2;
  const sessionGapMs = (1000 * meanTurns) / rate;

  const out: Omit<BenchRequest, 'index'>[] = [];
  // Sessions overlap, so the first `count` requests in time order are not the first `count` generated: keep
  // starting sessions until one starts after the count-th earliest request, then keep the earliest `count`.
  let start = 0;
  let cutoff = Number.POSITIVE_INFINITY;
  for (let s = 0; out.length < count || start < cutoff; s++) {
    start += exponential(random, sessionGapMs);
    const turns = uniformInt(random, turnsMin, turnsMax);
    const history: MessageSpec[] = [system];
    let at = start;
    for (let t = 0; t < turns; t++) {
      if (t > 0) at += exponential(random, thinkMs);
      const userLen = lognormalInt(random, options.userTokens ?? 120, 0.8, 4, 4096);
      history.push({ role: 'user', content: unique.text(userLen, BLOCK_TOKENS) });
      const outLen = lognormalInt(random, options.outputTokens ?? 180, 0.7, 4, 1024);
      const messages = [...history];
      out.push({
        atMs: at,
        messages,
        inputTokens: totalTokens(messages),
        outputTokens: outLen,
        session: `s${s}`,
      });
      history.push({ role: 'assistant', content: unique.text(outLen, BLOCK_TOKENS) });
    }
    if (out.length >= count) cutoff = out.map((r) => r.atMs).sort((a, b) => a - b)[count - 1]!;
  }
  out.sort((a, b) => a.atMs - b.atMs);
  out.length = count;
  return finish(`chat-sessions(seed=${seed})`, out);
}

/** Sorts by arrival (stable) and numbers the requests. */
export function finish(name: string, requests: Omit<BenchRequest, 'index'>[]): Workload {
  const sorted = requests.map((r, k) => ({ r, k })).sort((a, b) => a.r.atMs - b.r.atMs || a.k - b.k);
  return { name, requests: sorted.map(({ r }, index) => ({ ...r, index })) };
}
