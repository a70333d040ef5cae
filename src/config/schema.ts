/**
 * The configuration schema: every key, its type, its default and its bounds. `load.ts` turns YAML and flags
 * into a plain object and this schema into a typed `Config`. Unknown keys are errors (a typo must not be
 * silently ignored). Defaults follow NGINX/Envoy practice adjusted for LLM traffic; see docs/configuration.md.
 */
import { z } from 'zod';
import { DEFAULT_LISTEN_BACKLOG } from '../server/listen-backlog.js';

const ms = (def: number) => z.number().int().min(0).max(86_400_000).default(def);

/** One upstream endpoint. */
export const endpointSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, ".", "_" or "-"'),
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  weight: z.number().int().min(1).max(1000).default(1),
  models: z.array(z.string().min(1).max(256)).min(1).optional(),
  apiKey: z.string().min(1).optional(),
  modelMap: z.record(z.string().min(1), z.string().min(1)).optional(),
  maxConnections: z.number().int().min(1).max(65_536).optional(),
});

export const listenSchema = z.strictObject({
  /** Data-plane bind address. */
  host: z.string().min(1).default('0.0.0.0'),
  port: z.number().int().min(0).max(65_535).default(8080),
  /** Connections the kernel may hold for us before we accept them; see {@link DEFAULT_LISTEN_BACKLOG}. */
  backlog: z.number().int().min(1).max(65_535).default(DEFAULT_LISTEN_BACKLOG),
  /** Largest accepted request body (bytes) → 413 beyond. */
  maxBodyBytes: z
    .number()
    .int()
    .min(1024)
    .max(1024 ** 3)
    .default(16 * 1024 * 1024),
  /** Largest accepted request head (bytes) → 431 beyond. */
  maxHeaderBytes: z.number().int().min(1024).max(1_048_576).default(16_384),
  /** Deadline to receive the complete request head (slowloris defence). */
  headersTimeoutMs: ms(10_000),
  /** Deadline to receive the complete request body. */
  bodyTimeoutMs: ms(30_000),
  /** Idle keep-alive connections are closed after this long. */
  keepAliveTimeoutMs: ms(5_000),
  /** A client that reads nothing for this long while we have data to send is cut (write stall). */
  sendTimeoutMs: ms(60_000),
  /** Peers whose `X-Forwarded-For` is believed: IPs or CIDRs. Empty: the socket peer is the client. */
  trustedProxies: z.array(z.string().min(1)).default([]),
});

export const adminSchema = z.strictObject({
  /** Set false to run without an admin listener. */
  enabled: z.boolean().default(true),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(9090),
  /** Bearer token for the admin API; required when `host` is not a loopback address. */
  token: z.string().min(16, 'admin token must be at least 16 characters').optional(),
});

export const strategySchema = z.strictObject({
  name: z.string().min(1).default('round-robin'),
  options: z.record(z.string(), z.unknown()).default({}),
});

export const activeHealthSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Probe path; `/health` is served by vLLM, SGLang, TGI and llama.cpp. */
  path: z.string().startsWith('/').default('/health'),
  intervalMs: z.number().int().min(50).max(3_600_000).default(5_000),
  timeoutMs: z.number().int().min(10).max(600_000).default(2_000),
  /** Consecutive good probes to mark an endpoint up. */
  rise: z.number().int().min(1).max(100).default(2),
  /** Consecutive bad probes to mark an endpoint down. */
  fall: z.number().int().min(1).max(100).default(3),
});

export const passiveHealthSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Consecutive upstream failures that eject an endpoint. */
  consecutiveFailures: z.number().int().min(1).max(1000).default(5),
  /** First ejection length; doubles on each repeat. */
  baseEjectionMs: ms(30_000),
  maxEjectionMs: ms(300_000),
  /** Never eject more than this share of the endpoints (at least one always stays). */
  maxEjectionPercent: z.number().min(0).max(100).default(50),
  /** Cool-down after a 429 without `Retry-After`. */
  cooldownMs: ms(5_000),
});

export const healthSchema = z.strictObject({
  active: activeHealthSchema.default(activeHealthSchema.parse({})),
  passive: passiveHealthSchema.default(passiveHealthSchema.parse({})),
  /** How often to refresh each endpoint's `/v1/models` (0 = only at start). */
  modelRefreshMs: ms(30_000),
});

export const retrySchema = z.strictObject({
  /** Total attempts per request, the first included. */
  maxAttempts: z.number().int().min(1).max(10).default(3),
  /** Upstream statuses that are retried on another endpoint before the commit point. */
  retryOnStatus: z.array(z.number().int().min(400).max(599)).default([429, 500, 502, 503, 504]),
  /** Global budget: concurrent retries may not exceed this share of in-flight requests… */
  budgetPercent: z.number().min(0).max(100).default(20),
  /** …except that this many concurrent retries are always allowed. */
  minConcurrentRetries: z.number().int().min(0).max(10_000).default(3),
  /**
   * Re-send a request that reached an endpoint and then died without any response (reset, timeout to first
   * byte). Off by default: the endpoint may have run (and billed) it.
   */
  retryAfterSend: z.boolean().default(false),
});

export const timeoutsSchema = z.strictObject({
  connectMs: ms(5_000),
  /** Time to the upstream's response headers (covers queueing and prefill). */
  firstByteMs: ms(120_000),
  /** Longest silence between two upstream chunks; never a total deadline on a stream. */
  idleMs: ms(60_000),
});

export const shutdownSchema = z.strictObject({
  /** On SIGTERM, in-flight streams get this long to finish before they are ended with an error event. */
  graceMs: ms(30_000),
});

export const loggingSchema = z.strictObject({
  level: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** Log every request (one line each). */
  requests: z.boolean().default(false),
  format: z.enum(['json', 'text']).default('json'),
});

export const configSchema = z.strictObject({
  listen: listenSchema.default(listenSchema.parse({})),
  admin: adminSchema.default(adminSchema.parse({})),
  strategy: strategySchema.default(strategySchema.parse({})),
  endpoints: z.array(endpointSchema).default([]),
  health: healthSchema.default(healthSchema.parse({})),
  retry: retrySchema.default(retrySchema.parse({})),
  timeouts: timeoutsSchema.default(timeoutsSchema.parse({})),
  shutdown: shutdownSchema.default(shutdownSchema.parse({})),
  logging: loggingSchema.default(loggingSchema.parse({})),
});

/** The validated configuration. */
export type Config = z.infer<typeof configSchema>;
export type EndpointConfig = z.infer<typeof endpointSchema>;
