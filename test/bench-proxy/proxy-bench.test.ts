/**
 * Smoke test of `fulcrum bench proxy`: a tiny run (`--quick`, shortened further) through every contender,
 * checking the report has each one and that its numbers are sane — requests served, streams complete and
 * in order, the proxy charged some CPU and memory. No figure is compared with a constant: the bench's
 * numbers depend on the machine.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { hasNginx } from '../../src/bench/nginx.js';
import { CONTENDER_LABELS, CONTENDERS } from '../../src/bench/proxy/contenders.js';
import { runProxyBench } from '../../src/bench/proxy/index.js';
import type { ProxyBenchReport } from '../../src/bench/proxy/report.js';

const dir = mkdtempSync(join(tmpdir(), 'proxy-bench-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('bench proxy --quick measures every contender', { timeout: 120_000 }, async () => {
  const out = join(dir, 'run');
  // Smaller still than --quick: each phase takes a fraction of a second; most of the time is process start-up.
  const argv = [
    '--quick',
    '--warmup',
    '0.1',
    '--duration',
    '0.4',
    '--rate-duration',
    '0.3',
    '--settle',
    '0.05',
  ];
  argv.push('--streams', '30', '--ramp', '0.2', '--burst-streams', '20', '--burst', '0.1');
  // The Node client: the wrk path has its own test, and sub-second durations need it.
  const code = await runProxyBench([...argv, '--client', 'undici', '--out', out]);
  const report = JSON.parse(readFileSync(`${out}.json`, 'utf8')) as ProxyBenchReport;
  const markdown = readFileSync(`${out}.md`, 'utf8');

  assert.deepEqual(
    report.contenders.map((c) => c.name),
    [...CONTENDERS],
  );
  for (const name of CONTENDERS)
    assert.ok(markdown.includes(CONTENDER_LABELS[name]), `${name} missing from report`);
  assert.ok(markdown.includes('### Targets: Fulcrum'));

  for (const c of report.contenders) {
    if (!c.available) {
      // Fulcrum needs `npm run build`, NGINX the package: either may be absent, but never silently.
      assert.ok(c.name === 'fulcrum' || (c.name === 'nginx' && !hasNginx()), `${c.name}: ${c.reason}`);
      assert.ok(c.reason && c.reason.length > 0);
      continue;
    }
    assert.deepEqual(c.errors, {}, `${c.name} phase errors`);
    const { closed, open, sse, burst } = c;
    assert.ok(closed && open && sse && burst, `${c.name}: a phase is missing`);
    assert.ok(
      closed.result.throughput > 0 && closed.result.requests > 0,
      `${c.name}: no closed-loop requests`,
    );
    assert.equal(closed.result.errors, 0, `${c.name}: ${closed.result.firstError}`);
    assert.ok(closed.result.latency.p99 >= closed.result.latency.p50);
    assert.ok(open.result.requests > 0 && open.result.errors === 0, `${c.name}: ${open.result.firstError}`);
    // --quick: one round of each SSE phase, and that round is the one the tables show.
    assert.deepEqual(c.sseRounds, [sse]);
    assert.deepEqual(c.burstRounds, [burst]);
    for (const s of [sse, burst]) {
      assert.equal(s.result.completed, s.result.streams, `${c.name}: ${s.result.failures.join('; ')}`);
      assert.equal(s.result.ttfc.count, s.result.streams);
      assert.ok(s.result.ttfc.p99 > 0);
    }
    assert.ok(closed.backendCpuSec > 0, `${c.name}: backends charged no CPU`);
    if (c.name === 'direct') {
      assert.equal(closed.proxyCpuSec, 0);
    } else {
      // A proxy that served requests used CPU and memory, and the bench must have seen it. CPU is read in
      // 10 ms ticks, and on a loaded machine NGINX served ~120 requests in the 0.4 s closed phase, under one
      // tick: so the check is over all four phases (each a separate measured window).
      const cpuSec = [closed, open, sse, burst].reduce((sum, m) => sum + m.proxyCpuSec, 0);
      assert.ok(cpuSec > 0, `${c.name}: no proxy CPU measured in any phase`);
      assert.ok(sse.peakRssBytes > 1 << 20, `${c.name}: no RSS measured`);
    }
  }
  assert.equal(code, 0);
});

test('bench proxy --rounds 2 measures each request phase twice per contender', {
  timeout: 60_000,
}, async () => {
  const out = join(dir, 'rounds');
  const argv = ['--quick', '--rounds', '2', '--phases', 'closed,open', '--contenders', 'direct,minimal'];
  argv.push('--warmup', '0.1', '--duration', '0.3', '--rate-duration', '0.3', '--settle', '0.05');
  const code = await runProxyBench([...argv, '--client', 'undici', '--out', out]);
  const report = JSON.parse(readFileSync(`${out}.json`, 'utf8')) as ProxyBenchReport;
  const markdown = readFileSync(`${out}.md`, 'utf8');

  assert.equal(report.options.rounds, 2);
  assert.deepEqual(
    report.contenders.map((c) => c.name),
    ['direct', 'minimal'],
  );
  for (const c of report.contenders) {
    assert.ok(c.available, `${c.name}: ${c.reason}`);
    assert.deepEqual(c.errors, {}, `${c.name} phase errors`);
    assert.equal(c.closedRounds?.length, 2, `${c.name}: closed rounds`);
    assert.equal(c.openRounds?.length, 2, `${c.name}: open rounds`);
    for (const m of [...c.closedRounds!, ...c.openRounds!]) {
      assert.ok(m && m.result.requests > 0 && m.result.errors === 0, `${c.name}: ${m?.result.firstError}`);
    }
    // The phase tables' figures are one of the measured rounds, not an average.
    assert.ok(c.closedRounds!.some((m) => JSON.stringify(m) === JSON.stringify(c.closed)));
    assert.ok(c.openRounds!.some((m) => JSON.stringify(m) === JSON.stringify(c.open)));
    assert.equal(c.sse, undefined);
  }
  assert.match(markdown, /### Rounds, closed loop/);
  assert.match(markdown, /### Rounds, open loop/);
  assert.match(markdown, /added p99 over direct[^\n]*median of 2 paired rounds/);
  assert.equal(code, 0);
});

test('bench proxy --sse-rounds 2 measures the SSE ramp twice per contender', {
  timeout: 60_000,
}, async () => {
  const out = join(dir, 'sse-rounds');
  const argv = ['--quick', '--sse-rounds', '2', '--phases', 'sse', '--settle', '0.05'];
  argv.push('--streams', '30', '--ramp', '0.2');
  const code = await runProxyBench([...argv, '--out', out]);
  const report = JSON.parse(readFileSync(`${out}.json`, 'utf8')) as ProxyBenchReport;
  const markdown = readFileSync(`${out}.md`, 'utf8');

  assert.equal(report.options.sseRounds, 2);
  for (const c of report.contenders) {
    if (!c.available) continue; // as in the first test: Fulcrum without a build, NGINX without the package
    assert.deepEqual(c.errors, {}, `${c.name} phase errors`);
    assert.equal(c.sseRounds?.length, 2, `${c.name}: SSE rounds`);
    for (const m of c.sseRounds!) {
      assert.ok(m && m.result.completed === m.result.streams, `${c.name}: ${m?.result.failures.join('; ')}`);
    }
    // The SSE table's figures are one of the measured rounds, not an average.
    assert.ok(c.sseRounds!.some((m) => JSON.stringify(m) === JSON.stringify(c.sse)));
    assert.equal(c.burstRounds, undefined);
    assert.equal(c.closedRounds, undefined);
  }
  assert.match(markdown, /### Rounds, SSE ramp: TTFC p99 ms per round/);
  assert.doesNotMatch(markdown, /### SSE burst/);
  const available = (name: string) => report.contenders.some((c) => c.name === name && c.available);
  if (available('nginx') && available('fulcrum')) {
    assert.match(markdown, /Fulcrum ÷ NGINX/);
    assert.match(markdown, /TTFC p99 ≤ 2× NGINX's \| [\d.]+× \(median of 2 paired rounds\)/);
    assert.match(markdown, /all 30 streams complete, in order \| 30\/30 in each of 2 rounds \| met/);
  }
  assert.equal(code, 0);
});

test('bench proxy --help and bad options', async () => {
  assert.equal(await runProxyBench(['--help']), 0);
  assert.equal(await runProxyBench(['--contenders', 'haproxy']), 2);
  assert.equal(await runProxyBench(['--streams', '-3']), 2);
});
