/**
 * wrk as the closed-loop client when it is installed: a C client spends a fraction of the CPU a Node
 * client does per request, and on a 2-core machine every cycle the client saves is one the proxy under
 * test can use. wrk cannot do open-loop rates or check SSE streams, so those phases always use loadgen.ts.
 */
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { exited, spawnChild, stderrTail } from './child.js';
import { CHAT_BODY, type RequestPhaseResult } from './loadgen.js';

/** The wrk binary on PATH, or undefined. */
export function findWrk(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(dir, 'wrk'), constants.X_OK);
      return join(dir, 'wrk');
    } catch {
      // Keep looking.
    }
  }
  return undefined;
}

// Lua: POST the same body as loadgen.ts, and print the summary as one JSON line (latencies in µs).
const SCRIPT = `wrk.method = "POST"
wrk.body = [[${CHAT_BODY}]]
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationUs":%d,"errors":%d,"connectErrors":%d,"statusErrors":%d,' ..
    '"timeouts":%d,"mean":%f,"p50":%d,"p90":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout, e.connect,
    e.status, e.timeout, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
`;

interface WrkJson {
  requests: number;
  durationUs: number;
  errors: number;
  connectErrors: number;
  statusErrors: number;
  timeouts: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * Runs `wrk -t<threads> -c<connections> -d<seconds>s` against `url` + /v1/chat/completions.
 * `onStart` fires just before wrk starts (the caller reads CPU counters there).
 */
export async function runWrk(options: {
  url: string;
  connections: number;
  durationSec: number;
  /** wrk threads; default 1, so the client takes at most one core. */
  threads?: number;
  onStart?: () => void;
}): Promise<RequestPhaseResult> {
  const wrk = findWrk();
  if (!wrk) throw new Error('wrk is not installed (apt-get install wrk)');
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-wrk-'));
  try {
    const script = join(dir, 'post.lua');
    writeFileSync(script, SCRIPT);
    const args = [
      `-t${options.threads ?? 1}`,
      `-c${options.connections}`,
      `-d${Math.max(1, Math.round(options.durationSec))}s`,
      '--timeout',
      '10s',
      '-s',
      script,
      `${options.url}/v1/chat/completions`,
    ];
    options.onStart?.();
    const child = spawnChild(wrk, args);
    const stderr = stderrTail(child);
    let stdout = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (s: string) => {
      stdout += s;
    });
    await exited(child);
    const line = /^WRK_RESULT (.*)$/m.exec(stdout);
    if (!line) throw new Error(`wrk printed no result (exit ${child.exitCode}):\n${stdout}\n${stderr()}`);
    const r = JSON.parse(line[1]!) as WrkJson;
    const elapsedMs = r.durationUs / 1000;
    // wrk counts non-2xx responses in `requests` as well as in status errors.
    const ok = r.requests - r.statusErrors;
    return {
      kind: 'closed',
      requests: ok,
      errors: r.errors,
      firstError:
        r.errors > 0
          ? `wrk: ${r.connectErrors} connect, ${r.statusErrors} status, ${r.timeouts} timeouts`
          : undefined,
      elapsedMs,
      throughput: (ok / elapsedMs) * 1000,
      latency: {
        count: r.requests,
        mean: r.mean / 1000,
        p50: r.p50 / 1000,
        p90: r.p90 / 1000,
        p99: r.p99 / 1000,
        max: r.max / 1000,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
