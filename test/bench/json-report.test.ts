import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunResult } from '../../src/bench/record.js';
import { renderJson } from '../../src/bench/report/json.js';
import { buildReport } from '../../src/bench/report/report.js';

const result: RunResult = {
  name: 'x',
  target: 'http://x',
  workload: 'w',
  api: 'chat',
  load: { mode: 'trace', timeScale: 1, warmupS: 0 },
  slo: {},
  endpoints: [],
  startedAt: '',
  wallS: 1,
  interrupted: false,
  records: [
    {
      index: 0,
      atMs: 0,
      sentMs: 0,
      warmup: false,
      ttftMs: 5,
      itlMs: [1, 2, 3],
      e2eMs: 11,
      inputTokens: 1,
      outputTokensRequested: 4,
      lagWallMs: 0,
    },
    {
      index: 1,
      atMs: 1,
      sentMs: 1,
      warmup: false,
      itlMs: [],
      e2eMs: 2,
      inputTokens: 1,
      outputTokensRequested: 4,
      lagWallMs: 0,
      error: { kind: 'http_500', message: '' },
    },
  ],
};

test('JSON report: ITL lists summarised by default, kept on request; NaN becomes null', () => {
  const report = buildReport('t', [result]);
  const compact = JSON.parse(renderJson(report));
  const rec = compact.runs[0].result.records[0];
  assert.equal(rec.itlMs, undefined);
  assert.deepEqual(rec.itl, { count: 3, mean: 2, p50: 2, p99: 2.98, max: 3 });
  assert.equal(compact.runs[0].result.records[1].itl.mean, null);
  assert.equal(compact.runs[0].summary.itlMs.count, 3);
  const full = JSON.parse(renderJson(report, { itlSamples: true }));
  assert.deepEqual(full.runs[0].result.records[0].itlMs, [1, 2, 3]);
});
