/**
 * Engine parameter sets for the simulator. The three named step-model profiles are the columns of the table in
 * `/work/shared/guide/sim-model.md` §3 (Vidur GEMM fits, Vidur NCCL all-reduce, datasheet bandwidth, vLLM batch
 * defaults); the values here are copied from that table, not tuned. `fixed` is a test fixture with an exact
 * TTFT and inter-token latency, for calibrating the bench, not a model of anything.
 */

/** Parameters of the step-time model (sim-model §2) and of the KV cache and scheduler (§1, §4). */
export interface StepParams {
  kind: 'step';
  /** Profile name, reported in stats and logs. */
  name: string;
  /** Transformer layers L. */
  layers: number;
  /** Hidden size d_model. */
  dModel: number;
  /** Tensor-parallel degree; all-reduce time applies only when > 1. */
  tp: number;
  /** KV bytes per token for the whole model: 2·L·n_kv_heads·head_dim·2 (BF16). */
  kvBytesPerToken: number;
  /** Decode GEMM floor W_floor, ms. */
  wFloorMs: number;
  /** GEMM intercept b, ms. */
  bMs: number;
  /** GEMM slope s, ms per scheduled token. */
  sMsPerToken: number;
  /** All-reduce per call: max(a0, a1 + a2·N), ms; two calls per layer. Ignored when tp = 1. */
  a0Ms: number;
  a1Ms: number;
  a2MsPerToken: number;
  /** Effective attention FLOP/s per GPU (F_attn). */
  attnFlops: number;
  /** Effective HBM bandwidth per GPU, bytes/s (BW_eff). */
  bwBytesPerSec: number;
  /** Fixed per-step overhead T_oh (lm_head, sampling, scheduler), ms. */
  tOhMs: number;
  /** Legacy per-sequence CPU overhead t_seq, ms per running sequence per step. Default 0 (vLLM V1). */
  tSeqMs: number;
  /** Request overhead outside the GPU (HTTP, tokenisation), added once before the request reaches the queue. */
  tApiMs: number;
  /** KV cache capacity in tokens (all GPUs of the replica together hold this many tokens of context). */
  kvCapacityTokens: number;
  /** KV block size in tokens. vLLM default 16. */
  blockSize: number;
  /** `max_num_seqs`: most requests running at once. */
  maxNumSeqs: number;
  /** `max_num_batched_tokens`: the token budget of one step. */
  maxNumBatchedTokens: number;
  /** Context window; longer prompts are rejected with 400 like vLLM. */
  maxModelLen: number;
  /** σ of the mean-1 lognormal noise on step times (sim-model §8 suggests 0.05–0.1). Default 0: off. */
  noiseSigma: number;
}

/** Test-fixture profile: every request gets exactly `ttftMs` to its first token and `itlMs` between tokens. */
export interface FixedParams {
  kind: 'fixed';
  name: string;
  /** Time to first token, ms (virtual), independent of load and prompt. */
  ttftMs: number;
  /** Time between tokens, ms (virtual), independent of load. */
  itlMs: number;
  /** Context window. */
  maxModelLen: number;
}

export type SimParams = StepParams | FixedParams;

const GiB = 1024 ** 3;

/**
 * KV capacity from memory accounting (sim-model §3 note 4): `0.9·total − weights − reserve` per GPU, divided
 * by the KV bytes each GPU holds per token.
 */
export function kvCapacityFromMemory(m: {
  gpuGiB: number;
  weightsGiB: number;
  reserveGiB: number;
  kvBytesPerTokenPerGpu: number;
  memoryUtilization?: number;
}): number {
  const kvGiB = (m.memoryUtilization ?? 0.9) * m.gpuGiB - m.weightsGiB - m.reserveGiB;
  return Math.floor((kvGiB * GiB) / m.kvBytesPerTokenPerGpu);
}

const KV_8B = 2 * 32 * 8 * 128 * 2; // 128 KiB
const KV_70B = 2 * 80 * 8 * 128 * 2; // 320 KiB, 80 KiB per GPU at TP4

const common = {
  kind: 'step',
  blockSize: 16,
  tSeqMs: 0,
  tApiMs: 5,
  noiseSigma: 0,
  maxModelLen: 131072,
} as const;

/** The named profiles (sim-model §3, sets A, B and C). */
export const PROFILES: Readonly<Record<string, SimParams>> = {
  'h100-llama3-8b': {
    ...common,
    name: 'h100-llama3-8b',
    layers: 32,
    dModel: 4096,
    tp: 1,
    kvBytesPerToken: KV_8B,
    wFloorMs: 5.9,
    bMs: 3.0,
    sMsPerToken: 0.021,
    a0Ms: 0,
    a1Ms: 0,
    a2MsPerToken: 0,
    attnFlops: 400e12,
    bwBytesPerSec: 0.7 * 3.35e12,
    tOhMs: 1.5,
    kvCapacityTokens: kvCapacityFromMemory({
      gpuGiB: 79.19,
      weightsGiB: 14.99,
      reserveGiB: 3,
      kvBytesPerTokenPerGpu: KV_8B,
    }),
    maxNumSeqs: 1024,
    maxNumBatchedTokens: 8192,
  },
  'a100-llama3-8b': {
    ...common,
    name: 'a100-llama3-8b',
    layers: 32,
    dModel: 4096,
    tp: 1,
    kvBytesPerToken: KV_8B,
    wFloorMs: 9.7,
    bMs: 6.4,
    sMsPerToken: 0.0668,
    a0Ms: 0,
    a1Ms: 0,
    a2MsPerToken: 0,
    attnFlops: 150e12,
    bwBytesPerSec: 0.7 * 2.04e12,
    tOhMs: 2.0,
    kvCapacityTokens: kvCapacityFromMemory({
      gpuGiB: 79.19,
      weightsGiB: 14.99,
      reserveGiB: 3,
      kvBytesPerTokenPerGpu: KV_8B,
    }),
    maxNumSeqs: 256,
    maxNumBatchedTokens: 2048,
  },
  'h100x4-llama3-70b': {
    ...common,
    name: 'h100x4-llama3-70b',
    layers: 80,
    dModel: 8192,
    tp: 4,
    kvBytesPerToken: KV_70B,
    wFloorMs: 14.4,
    bMs: 10.2,
    sMsPerToken: 0.0531,
    a0Ms: 0.04,
    a1Ms: 0.019,
    a2MsPerToken: 0.000073,
    attnFlops: 400e12,
    bwBytesPerSec: 0.7 * 3.35e12,
    tOhMs: 2.0,
    kvCapacityTokens: kvCapacityFromMemory({
      gpuGiB: 79.19,
      weightsGiB: 32.9,
      reserveGiB: 3,
      kvBytesPerTokenPerGpu: KV_70B / 4,
    }),
    maxNumSeqs: 1024,
    maxNumBatchedTokens: 8192,
  },
  fixed: { kind: 'fixed', name: 'fixed', ttftMs: 100, itlMs: 10, maxModelLen: 131072 },
};

/** The default profile. */
export const DEFAULT_PROFILE = 'h100-llama3-8b';

/** Names of the built-in profiles, for help texts and error messages. */
export function profileNames(): string[] {
  return Object.keys(PROFILES);
}

/**
 * Resolves a profile name plus overrides into validated parameters. Unknown names and keys, and values that
 * are not finite non-negative numbers, throw an Error whose message names the problem.
 */
export function resolveParams(profile = DEFAULT_PROFILE, overrides: Record<string, unknown> = {}): SimParams {
  const base = PROFILES[profile];
  if (!base) throw new Error(`unknown sim profile "${profile}"; valid: ${profileNames().join(', ')}`);
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (key === 'name' || key === 'kind') {
      if (key === 'name' && typeof value === 'string') out.name = value;
      continue;
    }
    if (!(key in base)) {
      const keys = Object.keys(base).filter((k) => k !== 'kind' && k !== 'name');
      throw new Error(`unknown parameter "${key}" for profile "${profile}"; valid: ${keys.join(', ')}`);
    }
    const n = typeof value === 'string' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
      throw new Error(`parameter "${key}" must be a finite number >= 0, got ${JSON.stringify(value)}`);
    }
    out[key] = n;
  }
  const params = out as unknown as SimParams;
  if (params.kind === 'step') {
    for (const k of ['layers', 'dModel', 'tp', 'blockSize', 'maxNumSeqs', 'maxNumBatchedTokens'] as const) {
      if (!Number.isInteger(params[k]) || params[k] < 1)
        throw new Error(`parameter "${k}" must be an integer >= 1`);
    }
    if (params.attnFlops <= 0 || params.bwBytesPerSec <= 0) {
      throw new Error('parameters "attnFlops" and "bwBytesPerSec" must be > 0');
    }
    if (params.kvCapacityTokens < params.blockSize)
      throw new Error('parameter "kvCapacityTokens" is below one block');
  }
  return params;
}
