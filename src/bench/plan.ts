/**
 * A bench plan: the simulated cluster, the workload, the load and the contenders of `fulcrum bench compare`,
 * in one YAML file. Unknown keys are errors. Relative trace paths resolve against the plan's folder.
 *
 * ```yaml
 * name: small
 * timeScale: 10           # simulator speed-up = arrival compression (see docs/bench.md)
 * workload: { synthetic: chat-sessions, requests: 300, rate: 8 }
 * load: { mode: trace }
 * warmupS: 20
 * cluster: { backends: [{ profile: h100-llama3-8b, count: 2 }] }
 * contenders:
 *   - { kind: nginx, method: round-robin }
 *   - { kind: fulcrum, strategy: least-connections }
 * baseline: nginx-round-robin
 * ```
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ENGINES } from '../sim/metrics.js';
import { workloadSpecSchema } from './workloads/index.js';

const backendSchema = z.strictObject({
  /** Simulator profile. Default h100-llama3-8b. */
  profile: z.string().min(1).default('h100-llama3-8b'),
  /** Engine whose /metrics the simulator emulates. Default vllm. */
  engine: z.enum(ENGINES).default('vllm'),
  /** How many backends of this kind. Default 1. */
  count: z.number().int().min(1).max(64).default(1),
  /** Profile parameter overrides, e.g. `{ maxNumSeqs: 64 }`. */
  params: z.record(z.string(), z.unknown()).optional(),
  /**
   * Tokens per SSE event the simulator sends. Default 1 (one event per engine step, like vLLM). Larger values
   * cut the CPU every process spends per token (simulator, proxy, client) when a small machine must stream a
   * big cluster's output; per-request mean ITL is unchanged, per-event ITL becomes coarser.
   */
  coalesce: z.number().int().min(1).max(64).default(1),
  /** Weight given to Fulcrum's weighted strategies. Default 1. */
  weight: z.number().int().min(1).max(1000).default(1),
});

const contenderSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('fulcrum'),
    name: z.string().min(1).optional(),
    strategy: z.string().min(1),
    options: z.record(z.string(), z.unknown()).optional(),
  }),
  z.strictObject({
    kind: z.literal('nginx'),
    name: z.string().min(1).optional(),
    method: z.enum(['round-robin', 'least_conn', 'ip_hash']),
    /** `worker_processes`. Default 1, so NGINX and Fulcrum each get one core's worth of process. */
    workers: z.number().int().min(1).max(64).optional(),
  }),
  z.strictObject({
    kind: z.literal('direct'),
    name: z.string().min(1).optional(),
    /** Index of the backend to send everything to. Default 0. */
    backend: z.number().int().min(0).default(0),
  }),
]);

const loadSchema = z.discriminatedUnion('mode', [
  z.strictObject({
    mode: z.literal('trace'),
    rateScale: z.number().positive().default(1),
    jitterMs: z.number().min(0).default(0),
  }),
  z.strictObject({ mode: z.literal('poisson'), rate: z.number().positive() }),
  z.strictObject({ mode: z.literal('closed'), users: z.number().int().min(1) }),
]);

export const planSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, ".", "_" or "-"'),
  description: z.string().optional(),
  /** Seeds the simulators (backend i gets seed + i), jitter and Poisson arrivals. Default 1. */
  seed: z.number().int().min(0).default(1),
  /** Simulator speed-up and arrival compression. Default 1. */
  timeScale: z.number().positive().max(1000).default(1),
  model: z.string().min(1).default('meta-llama/Llama-3.1-8B-Instruct'),
  api: z.enum(['chat', 'completions']).default('chat'),
  workload: workloadSpecSchema,
  load: loadSchema.default({ mode: 'trace', rateScale: 1, jitterMs: 0 }),
  /** Virtual seconds whose requests are sent but not measured. Default 0. */
  warmupS: z.number().min(0).default(0),
  /** Virtual seconds measured after the warm-up. Default: the whole workload. */
  durationS: z.number().positive().optional(),
  maxRequests: z.number().int().min(1).optional(),
  /** Virtual seconds to wait for in-flight requests after the last send; the rest count as `unfinished`. */
  drainS: z.number().positive().default(120),
  slo: z
    .strictObject({
      ttftMs: z.number().positive().default(2000),
      itlMs: z.number().positive().default(100),
      e2eMs: z.number().positive().optional(),
    })
    .default({ ttftMs: 2000, itlMs: 100 }),
  cluster: z.strictObject({ backends: z.array(backendSchema).min(1) }),
  contenders: z.array(contenderSchema).min(1),
  /** Contender name that ratios are relative to. Default: the first contender. */
  baseline: z.string().optional(),
  /** Output folder. Default `bench-results/<name>`. */
  output: z.string().optional(),
});

export type Plan = z.infer<typeof planSchema>;
export type ContenderSpec = Plan['contenders'][number];

/** The report name of a contender: its `name`, or `fulcrum-<strategy>`, `nginx-<method>`, `direct`. */
export function contenderName(c: ContenderSpec): string {
  if (c.name) return c.name;
  if (c.kind === 'fulcrum') return `fulcrum-${c.strategy}`;
  if (c.kind === 'nginx') return `nginx-${c.method}`;
  return c.backend ? `direct-${c.backend}` : 'direct';
}

/** Validates a parsed plan, with every problem and its path in one message. */
export function parsePlan(raw: unknown, source = 'plan'): Plan {
  const parsed = planSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${source} is not a valid bench plan:\n${issues.join('\n')}`);
  }
  const plan = parsed.data;
  const names = plan.contenders.map(contenderName);
  const dup = names.find((n, k) => names.indexOf(n) !== k);
  if (dup) throw new Error(`${source}: two contenders are named "${dup}"; give one a name`);
  if (plan.baseline !== undefined && !names.includes(plan.baseline)) {
    throw new Error(`${source}: baseline "${plan.baseline}" is not a contender (${names.join(', ')})`);
  }
  const backends = plan.cluster.backends.reduce((s, b) => s + b.count, 0);
  for (const c of plan.contenders) {
    if (c.kind === 'direct' && c.backend >= backends) {
      throw new Error(
        `${source}: contender ${contenderName(c)} uses backend ${c.backend}, the cluster has ${backends}`,
      );
    }
  }
  return plan;
}

/** Reads and validates a YAML plan file. */
export async function loadPlan(path: string): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read plan ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new Error(`${path}: not valid YAML: ${(err as Error).message}`);
  }
  return parsePlan(raw, path);
}
