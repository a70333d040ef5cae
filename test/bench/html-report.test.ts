/**
 * The HTML report opens in a real browser and draws its charts (issue 4): headless Chromium loads the file
 * offline, runs the inline script, and the DOM it dumps must carry the "charts drawn" marker with the
 * expected number of charts and lines, and real SVG paths.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type { RequestRecord, RunResult } from '../../src/bench/record.js';
import { cdfPoints, renderHtml } from '../../src/bench/report/html.js';
import { buildReport } from '../../src/bench/report/report.js';

const CHROMIUM = '/usr/bin/chromium';

function fakeRun(name: string, slowdown: number): RunResult {
  const records: RequestRecord[] = Array.from({ length: 200 }, (_, i) => ({
    index: i,
    atMs: i * 50,
    sentMs: i * 50,
    warmup: i < 10,
    ttftMs: (20 + (i % 37) * 3) * slowdown,
    itlMs: [10, 12, 11],
    tpotMs: 11,
    e2eMs: (60 + (i % 37) * 3) * slowdown,
    inputTokens: 100,
    outputTokensRequested: 4,
    promptTokens: 100,
    completionTokens: 4,
    cachedTokens: i % 2 ? 64 : 0,
    endpoint: `sim-${i % 2}`,
    status: 200,
    lagWallMs: 0.1,
    ...(i % 50 === 7 ? { error: { kind: 'http_503', message: 'busy' } } : {}),
  }));
  return {
    name,
    target: 'http://127.0.0.1:1',
    workload: 'test',
    api: 'chat',
    load: { mode: 'trace', timeScale: 1, warmupS: 0.5 },
    slo: {},
    endpoints: ['sim-0', 'sim-1'],
    startedAt: new Date(0).toISOString(),
    wallS: 10,
    records,
    interrupted: false,
  };
}

test('CDF points are quantiles with their cumulative fractions', () => {
  const { x, p } = cdfPoints([5, 1, 3, 2, 4], 5);
  assert.deepEqual(x, [1, 1, 2, 3, 4, 5]);
  assert.deepEqual(p, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.equal(cdfPoints(Array.from({ length: 10_000 }, (_, i) => i)).x.length, 201);
});

test('the report is self-contained: no external scripts, styles or images', () => {
  const html = renderHtml(buildReport('t', [fakeRun('a', 1)], { command: 'x <y>' }));
  assert.doesNotMatch(html, /<script[^>]+src=|<link|<img|url\(/i);
  assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  assert.match(html, /x &lt;y&gt;/);
});

test('headless Chromium renders every chart of the HTML report', async (t) => {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) assert.fail(`${CHROMIUM} is missing; CI must install chromium (see .ci/run)`);
    console.error(
      `\n!!! SKIPPING the HTML report browser test: ${CHROMIUM} not found (set CI to make this fail) !!!\n`,
    );
    t.skip('chromium not installed');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'fulcrum-report-'));
  try {
    const report = buildReport('Browser test', [fakeRun('nginx-round-robin', 1), fakeRun('fulcrum-x', 1.5)], {
      baseline: 'nginx-round-robin',
    });
    const file = join(dir, 'report.html');
    await writeFile(file, renderHtml(report));
    const { stdout } = await promisify(execFile)(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        `--user-data-dir=${join(dir, 'profile')}`,
        '--virtual-time-budget=10000',
        '--dump-dom',
        `file://${file}`,
      ],
      { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
    );
    const status = /<p id="charts-status" data-rendered="(\d+)" data-lines="(\d+)">/.exec(stdout);
    assert.ok(status, 'the charts script did not finish (no marker in the DOM)');
    // 2 latency CDFs + throughput + errors + one endpoint-load chart per contender.
    assert.equal(Number(status[1]), 6);
    // One line per contender on the 4 shared charts, one per endpoint on each endpoint chart.
    assert.equal(Number(status[2]), 4 * 2 + 2 * 2);
    const paths = stdout.match(/<path d="M[\d.]+ [\d.]+L/g) ?? [];
    assert.equal(paths.length, 12);
    assert.match(stdout, /<svg[^>]*viewBox="0 0 560 300"/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
