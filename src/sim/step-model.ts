/**
 * The step-time model of sim-model.md §2: how long one forward pass over a batch takes, from the tokens it
 * schedules. Pure functions; the engine sums them into TTFT and inter-token latency, so no per-request latency
 * is written down anywhere.
 */
import type { StepParams } from './profiles.js';

/** What one engine step computes. */
export interface StepLoad {
  /** N: all tokens scheduled (one per decoding request plus every prefill chunk's tokens). */
  tokens: number;
  /** S_pf = Σ over prefill chunks of c·(p + c/2): query × context pairs of causal prefill attention. */
  prefillPairs: number;
  /** K_dec = Σ over decoding requests of their context length: KV tokens read by decode attention. */
  decodeContext: number;
  /** Requests in the batch (for the legacy per-sequence overhead). */
  seqs: number;
}

/** Seconds-per-unit coefficients derived from the profile, in milliseconds. */
export interface StepCoefficients {
  /** k_att: ms per (query token × context token) of prefill attention = 4·L·d / (F_attn·TP). */
  kAttMs: number;
  /** k_kv: ms per context token read in decode = kv_bytes_per_token / (TP·BW_eff). */
  kKvMs: number;
}

/** Derives k_att and k_kv (sim-model §2) from a profile. */
export function coefficients(p: StepParams): StepCoefficients {
  return {
    kAttMs: ((4 * p.layers * p.dModel) / (p.attnFlops * p.tp)) * 1000,
    kKvMs: (p.kvBytesPerToken / (p.tp * p.bwBytesPerSec)) * 1000,
  };
}

/** T_lin(N) = max(W_floor, b + s·N): GEMMs and norms. */
export function linearMs(p: StepParams, tokens: number): number {
  return Math.max(p.wFloorMs, p.bMs + p.sMsPerToken * tokens);
}

/** T_ar(N) = 2·L·max(a0, a1 + a2·N) when TP > 1, else 0. */
export function allReduceMs(p: StepParams, tokens: number): number {
  if (p.tp <= 1) return 0;
  return 2 * p.layers * Math.max(p.a0Ms, p.a1Ms + p.a2MsPerToken * tokens);
}

/** Duration of one step in ms, without noise. An empty step takes no time. */
export function stepTimeMs(p: StepParams, c: StepCoefficients, load: StepLoad): number {
  if (load.tokens <= 0) return 0;
  return (
    p.tOhMs +
    linearMs(p, load.tokens) +
    allReduceMs(p, load.tokens) +
    c.kAttMs * load.prefillPairs +
    c.kKvMs * load.decodeContext +
    p.tSeqMs * load.seqs
  );
}

/**
 * Closed-form prefill time of an n-token prompt with `cached` tokens already in KV, run alone in one step
 * (sim-model §2, "Prefill with a cached prefix"). The engine chunks long prompts by the token budget, so its
 * result differs slightly from this for prompts above `maxNumBatchedTokens`.
 */
export function prefillAloneMs(p: StepParams, n: number, cached = 0): number {
  const c = n - cached;
  return stepTimeMs(p, coefficients(p), {
    tokens: c,
    prefillPairs: c * (cached + c / 2),
    decodeContext: 0,
    seqs: 1,
  });
}

/** Closed-form decode ITL at batch size `batch` with total decode context `context` (sim-model §2). */
export function decodeItlMs(p: StepParams, batch: number, context: number): number {
  return stepTimeMs(p, coefficients(p), {
    tokens: batch,
    prefillPairs: 0,
    decodeContext: context,
    seqs: batch,
  });
}

/**
 * A mean-1 lognormal multiplier `exp(σ·z − σ²/2)` drawn with Box–Muller from `random`; 1 when σ = 0, so noise
 * is opt-in and a run without it is exactly the model.
 */
export function lognormalFactor(sigma: number, random: () => number): number {
  if (sigma <= 0) return 1;
  const u = 1 - random();
  const v = random();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return Math.exp(sigma * z - (sigma * sigma) / 2);
}
