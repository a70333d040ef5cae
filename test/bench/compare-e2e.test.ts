/**
 * Compare mode end to end (issue 4): two simulated backends, two contenders (NGINX round-robin when nginx is
 * installed, else direct; and Fulcrum least-connections), a short workload; then the same with Ctrl-C
 * (an abort) in the middle. Both must leave no process behind.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { runCompare } from '../../src/bench/compare.js';
import { hasNginx } from '../../src/bench/nginx.js';
import { parsePlan } from '../../src/bench/plan.js';
import { comparisonTable } from '../../src/bench/report/markdown.js';

/** Pids of this process's live children (and theirs), from /proc; tsx's own esbuild service excepted. */
function descendants(): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (fields[0] !== 'Z' && !cmdline.includes('esbuild')) parentOf.set(Number(name), Number(fields[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, parent] of parentOf) {
      if (parent === pid) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(process.pid);
  return out;
}

const first = hasNginx() ? { kind: 'nginx', method: 'round-robin' } : { kind: 'direct' };

function plan(requests: number) {
  return parsePlan({
    name: 'e2e',
    timeScale: 10,
    workload: { synthetic: 'sharegpt', requests, rate: 10, outputTokens: 40 },
    warmupS: 1,
    cluster: { backends: [{ profile: 'h100-llama3-8b', count: 2 }] },
    contenders: [first, { kind: 'fulcrum', strategy: 'least-connections' }],
  });
}

test('compare: two contenders on two fresh simulators, one table, nothing left running', async () => {
  const lines: string[] = [];
  const report = await runCompare(plan(60), { progress: false, log: (l) => lines.push(l) });
  assert.ok(report);
  const names = report.runs.map((r) => r.result.name);
  assert.deepEqual(names, [hasNginx() ? 'nginx-round-robin' : 'direct', 'fulcrum-least-connections']);
  assert.equal(report.baseline, names[0]);
  for (const run of report.runs) {
    const s = run.summary;
    assert.equal(s.requests.sent, 60, run.result.name);
    assert.equal(s.requests.failed, 0, `${run.result.name}: ${JSON.stringify(s.errors)}`);
    // A sanity bound in virtual ms, i.e. 1 s of wall time at ×10: the model's TTFT here is tens of ms, but
    // every wall ms this machine adds (simulators, proxy and client share two cores) counts ten times.
    assert.ok(s.ttftMs.p50 > 0 && s.ttftMs.p50 < 10_000, `${run.result.name} TTFT ${s.ttftMs.p50}`);
    const asked = run.result.records
      .filter((r) => !r.warmup)
      .reduce((n, r) => n + r.outputTokensRequested, 0);
    assert.equal(s.tokens.completion, asked, 'every request got exactly the output length it asked for');
    // Every request attributed to the backend that served it (from the simulators' own logs).
    assert.equal(
      run.result.records.filter((r) => r.endpoint === 'sim-0' || r.endpoint === 'sim-1').length,
      60,
      run.result.name,
    );
  }
  // A balancer over two backends uses both; direct uses one.
  const balanced = report.runs.find((r) => r.result.name === 'fulcrum-least-connections')!.summary;
  assert.ok(
    balanced.endpoints.every((e) => e.requests > 10),
    JSON.stringify(balanced.endpoints),
  );
  const table = comparisonTable(report);
  assert.match(table, /fulcrum-least-connections .*\(×/);
  assert.deepEqual(descendants(), []);
});

test('compare: an abort mid-run stops everything and returns no report', async () => {
  const controller = new AbortController();
  const pending = runCompare(plan(2000), {
    progress: false,
    signal: controller.signal,
    log: (l) => {
      // Abort once the first contender is running.
      if (l.includes('running')) setTimeout(() => controller.abort(), 300);
    },
  });
  assert.equal(await pending, undefined);
  assert.deepEqual(descendants(), []);
});
