/**
 * The per-request record that reports are built from, in *virtual* milliseconds (wall × timeScale), and the
 * result of one bench run.
 */

/** One request as measured, in virtual ms. */
export interface RequestRecord {
  /** Workload index. */
  index: number;
  /** Scheduled send time, virtual ms since the run started. */
  atMs: number;
  /** Actual send time, virtual ms since the run started. */
  sentMs: number;
  /** True for requests sent during the warm-up, which are excluded from every aggregate. */
  warmup: boolean;
  ttftMs?: number;
  /** Inter-token (inter-event) latencies. */
  itlMs: number[];
  e2eMs: number;
  /** Mean inter-token latency of this request: (e2e − ttft) / (completion tokens − 1). */
  tpotMs?: number;
  inputTokens: number;
  outputTokensRequested: number;
  promptTokens?: number;
  completionTokens?: number;
  cachedTokens?: number;
  endpoint?: string;
  status?: number;
  error?: { kind: string; message: string };
  /** How late the client sent it, in wall ms (client health, not a latency). */
  lagWallMs: number;
}

/** Service-level objective for goodput. A request counts as good when it succeeded and meets every bound. */
export interface Slo {
  /** Default 2000 (virtual ms). */
  ttftMs?: number;
  /** Bound on the request's mean inter-token latency. Default 100 (virtual ms). */
  itlMs?: number;
  /** Optional bound on end-to-end latency. Default none. */
  e2eMs?: number;
}

/** How the load was applied, for the report. */
export interface LoadDescription {
  mode: 'trace' | 'poisson' | 'closed';
  rateScale?: number;
  rate?: number;
  users?: number;
  jitterMs?: number;
  timeScale: number;
  warmupS: number;
  durationS?: number;
  maxRequests?: number;
}

/** Everything one run against one target produced. */
export interface RunResult {
  /** Contender name. */
  name: string;
  target: string;
  workload: string;
  api: 'chat' | 'completions';
  load: LoadDescription;
  slo: Slo;
  /** Known endpoint names (so idle endpoints count in the imbalance), when given. */
  endpoints: string[];
  startedAt: string;
  /** Wall seconds the run took. */
  wallS: number;
  records: RequestRecord[];
  /** Whether the run was cut short (interrupt or abort). */
  interrupted: boolean;
}
