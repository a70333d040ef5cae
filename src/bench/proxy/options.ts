/**
 * Command-line options of `fulcrum bench proxy` / `npm run bench:proxy`. The defaults are the targets of
 * the performance issue (5,000 streams over 5 s, a 2,000-stream burst in 1 s, 1,000 req/s open loop);
 * `--quick` shrinks everything to a few seconds for a smoke test.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CONTENDERS, type ContenderName } from './contenders.js';

/** Every tunable of the proxy bench. */
export interface ProxyBenchOptions {
  /** Contenders to run, in order; default all four. */
  contenders: ContenderName[];
  /** Phases to run; default all four. */
  phases: Phase[];
  /**
   * Measurements of each request phase (closed, open) per contender; default 5, `--quick` 1. The rounds
   * interleave the contenders (round r runs every contender once, starting with the r-th, so none is always
   * first or last), and the report compares contenders round by round. Five, not three: on the shared VMs
   * these runs use, a per-round ratio moved by ±30 % for the same code, and the median of three still
   * landed on either side of a target from one run to the next (docs/benchmarks.md, runs 9–12).
   */
  rounds: number;
  /**
   * Measurements of each SSE phase (sse, burst) per contender, interleaved and compared round by round
   * like {@link rounds}; default 5, `--quick` 1, for the same reason (a round's TTFC p99 is set by the few
   * slowest 100 ms of the machine, and the per-round ratio to NGINX ranged 0.4–10× for the same code). An
   * SSE round is long (the ramp's last stream ends ~13 s after its first opens), so a full run takes ~20 min.
   */
  sseRounds: number;
  /** Closed-loop connections; default 64. */
  concurrency: number;
  /** Closed-loop measured seconds; default 10. */
  durationSec: number;
  /** Seconds of unmeasured load before each request phase; default 2. */
  warmupSec: number;
  /** Open-loop requests per second; default 1,000. */
  rate: number;
  /** Open-loop measured seconds; default 10. */
  rateDurationSec: number;
  /** SSE streams in the ramp phase; default 5,000. */
  streams: number;
  /** Seconds over which the ramp opens them; default 5. */
  rampSec: number;
  /** Streams in the burst phase; default 2,000. */
  burstStreams: number;
  /** Seconds over which the burst opens them; default 1. */
  burstSec: number;
  /** SSE chunks per stream; default 40. */
  chunks: number;
  /** Milliseconds between chunks; default 200 (so a stream lasts 8 s and the ramp's streams all overlap). */
  chunkIntervalMs: number;
  /** Closed-loop client: wrk if installed (`auto`, the default), or always the Node load generator. */
  client: 'auto' | 'wrk' | 'undici';
  /** NGINX worker_processes; default 'auto'. */
  nginxWorkers: number | 'auto';
  /** Output path prefix: writes `<out>.json` and `<out>.md`; default bench-results/proxy-<timestamp>. */
  out: string;
  /** Seconds of idle between phases, so connections and CPU settle; default 1. */
  settleSec: number;
  /** When set, the Node contenders run with `--cpu-prof` and write their profiles here; default unset. */
  profileDir?: string;
  /** Fulcrum's per-endpoint upstream connection cap; default unset (Fulcrum's own default). */
  fulcrumMaxConnections?: number;
  /** A script run instead of `bin/fulcrum.js` (experiments); default unset. */
  fulcrumLauncher?: string;
}

export type Phase = 'closed' | 'open' | 'sse' | 'burst';
const PHASES: Phase[] = ['closed', 'open', 'sse', 'burst'];

/** How many rounds `phase` runs: `--rounds` for the request phases, `--sse-rounds` for the SSE ones. */
export function phaseRounds(phase: Phase, o: Pick<ProxyBenchOptions, 'rounds' | 'sseRounds'>): number {
  return phase === 'closed' || phase === 'open' ? o.rounds : o.sseRounds;
}

/** The targets. */
export function defaultOptions(): ProxyBenchOptions {
  return {
    contenders: [...CONTENDERS],
    phases: [...PHASES],
    rounds: 5,
    sseRounds: 5,
    concurrency: 64,
    durationSec: 10,
    warmupSec: 2,
    rate: 1000,
    rateDurationSec: 10,
    streams: 5000,
    rampSec: 5,
    burstStreams: 2000,
    burstSec: 1,
    chunks: 40,
    chunkIntervalMs: 200,
    client: 'auto',
    nginxWorkers: 'auto',
    out: `bench-results/proxy-${new Date().toISOString().replace(/[:.]/g, '-')}`,
    settleSec: 1,
  };
}

/** A few seconds per contender: enough to prove every part works, not to measure anything. */
const QUICK: Partial<ProxyBenchOptions> = {
  rounds: 1,
  sseRounds: 1,
  concurrency: 8,
  durationSec: 1,
  warmupSec: 0.5,
  rate: 200,
  rateDurationSec: 1,
  streams: 60,
  rampSec: 0.5,
  burstStreams: 40,
  burstSec: 0.2,
  chunks: 5,
  chunkIntervalMs: 40,
  settleSec: 0.2,
};

export const HELP = `Usage: fulcrum bench proxy [options]      (or: npm run bench:proxy -- [options])

Measures what a proxy costs: the same fast backends reached directly, through NGINX, through a minimal
Node proxy and through Fulcrum (round-robin), in one run. Phases: closed-loop throughput, open-loop
latency at a fixed rate, SSE streams ramped, SSE streams in a burst. The contenders take turns, never
loading the machine at once; every phase repeats in interleaved rounds and the targets use the median
of per-round ratios. Writes <out>.json and <out>.md.

Options (defaults are the performance issue's targets):
  --quick                   tiny sizes for a smoke test (a few seconds per contender)
  --contenders LIST         comma-separated subset of ${CONTENDERS.join(',')} (default: all)
  --phases LIST             comma-separated subset of ${PHASES.join(',')} (default: all)
  --rounds N                closed and open phases: interleaved rounds, each runs every contender
                            once, in rotating order (5; --quick: 1)
  --sse-rounds N            sse and burst phases: interleaved rounds, as --rounds (5; --quick: 1)
  --concurrency N           closed-loop connections (64)
  --duration S              closed-loop measured seconds (10)
  --warmup S                unmeasured seconds before request phases (2)
  --rate N                  open-loop requests per second (1000)
  --rate-duration S         open-loop measured seconds (10)
  --streams N               SSE streams in the ramp phase (5000)
  --ramp S                  seconds to open them over (5)
  --burst-streams N         SSE streams in the burst phase (2000)
  --burst S                 seconds to open the burst over (1)
  --chunks N                SSE chunks per stream (40)
  --chunk-interval MS       milliseconds between chunks (200)
  --client auto|wrk|undici  closed-loop client; auto = wrk when installed (auto)
  --nginx-workers N|auto    NGINX worker_processes (auto)
  --settle S                idle seconds between phases (1)
  --out PREFIX              output files prefix (bench-results/proxy-<timestamp>)
  --fulcrum-max-connections N
                            Fulcrum's per-endpoint upstream connection cap (default: Fulcrum's own)
  --fulcrum-launcher FILE   run this Node script instead of bin/fulcrum.js, with the same serve arguments
                            (experiments, e.g. scripts/threads-experiment.mjs)
  --profile DIR             run the Node proxies with --cpu-prof, profiles into DIR (read them with
                            node dist/src/bench/proxy/cpu-profile.js FILE)
  -h, --help                this text

Fulcrum runs from the compiled CLI: run \`npm run build\` first (npm run bench:proxy does).`;

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${raw}"`);
  return n;
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${raw}"`);
  return n;
}

function list<T extends string>(
  name: string,
  raw: string | undefined,
  valid: readonly T[],
  fallback: T[],
): T[] {
  if (raw === undefined) return fallback;
  const items = raw.split(',').filter(Boolean);
  for (const item of items) {
    if (!valid.includes(item as T))
      throw new Error(`--${name}: unknown "${item}" (valid: ${valid.join(', ')})`);
  }
  return items as T[];
}

/** Parses argv; returns 'help' for -h/--help. Throws with a precise message on bad input. */
export function parseOptions(argv: string[]): ProxyBenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      quick: { type: 'boolean' },
      contenders: { type: 'string' },
      phases: { type: 'string' },
      rounds: { type: 'string' },
      'sse-rounds': { type: 'string' },
      concurrency: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rate: { type: 'string' },
      'rate-duration': { type: 'string' },
      streams: { type: 'string' },
      ramp: { type: 'string' },
      'burst-streams': { type: 'string' },
      burst: { type: 'string' },
      chunks: { type: 'string' },
      'chunk-interval': { type: 'string' },
      client: { type: 'string' },
      'nginx-workers': { type: 'string' },
      settle: { type: 'string' },
      out: { type: 'string' },
      profile: { type: 'string' },
      'fulcrum-max-connections': { type: 'string' },
      'fulcrum-launcher': { type: 'string' },
    },
  });
  if (values.help) return 'help';
  const base = { ...defaultOptions(), ...(values.quick ? QUICK : {}) };
  const client = values.client ?? base.client;
  if (client !== 'auto' && client !== 'wrk' && client !== 'undici') {
    throw new Error(`--client must be auto, wrk or undici, got "${client}"`);
  }
  const workers = values['nginx-workers'];
  return {
    contenders: list('contenders', values.contenders, CONTENDERS, base.contenders),
    phases: list('phases', values.phases, PHASES, base.phases),
    rounds: positiveInt('rounds', values.rounds, base.rounds),
    sseRounds: positiveInt('sse-rounds', values['sse-rounds'], base.sseRounds),
    concurrency: Math.round(positive('concurrency', values.concurrency, base.concurrency)),
    durationSec: positive('duration', values.duration, base.durationSec),
    warmupSec: positive('warmup', values.warmup, base.warmupSec),
    rate: positive('rate', values.rate, base.rate),
    rateDurationSec: positive('rate-duration', values['rate-duration'], base.rateDurationSec),
    streams: Math.round(positive('streams', values.streams, base.streams)),
    rampSec: positive('ramp', values.ramp, base.rampSec),
    burstStreams: Math.round(positive('burst-streams', values['burst-streams'], base.burstStreams)),
    burstSec: positive('burst', values.burst, base.burstSec),
    chunks: Math.round(positive('chunks', values.chunks, base.chunks)),
    chunkIntervalMs: positive('chunk-interval', values['chunk-interval'], base.chunkIntervalMs),
    client,
    nginxWorkers:
      workers === undefined || workers === 'auto'
        ? base.nginxWorkers
        : Math.round(positive('nginx-workers', workers, 1)),
    settleSec: positive('settle', values.settle, base.settleSec),
    out: values.out ?? base.out,
    profileDir: values.profile,
    fulcrumMaxConnections:
      values['fulcrum-max-connections'] === undefined
        ? undefined
        : Math.round(positive('fulcrum-max-connections', values['fulcrum-max-connections'], 1)),
    fulcrumLauncher:
      values['fulcrum-launcher'] === undefined ? undefined : resolve(values['fulcrum-launcher']),
  };
}
