/**
 * The proxy bench's SSE rounds: the median round shown in the SSE tables, the paired TTFC ratio, the
 * every-round limits (completion, peak RSS), the SSE rounds tables and reports from before SSE rounds, all
 * on synthetic reports (no processes).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SseMeasurement } from '../../src/bench/proxy/measure.js';
import { parseOptions, phaseRounds } from '../../src/bench/proxy/options.js';
import { type ContenderReport, toMarkdown } from '../../src/bench/proxy/report.js';
import { medianSseRound } from '../../src/bench/proxy/rounds.js';
import { section, sseMeasurement as sse, syntheticReport, targetCell } from './synthetic.js';

const FULCRUM = 'Fulcrum (round-robin)';
const MINIMAL = 'minimal Node proxy';

/** A contender with the given SSE ramp rounds (the burst gets the same); `sse`/`burst` the median round. */
function contender(name: ContenderReport['name'], rounds: (SseMeasurement | null)[]): ContenderReport {
  return {
    name,
    available: true,
    errors: {},
    sseRounds: rounds,
    burstRounds: rounds,
    sse: medianSseRound(rounds),
    burst: medianSseRound(rounds),
  };
}

const report = (contenders: ContenderReport[], sseRounds = 3) =>
  syntheticReport(contenders, { sseRounds, phases: ['sse', 'burst'] });

// TTFC p99 per round. Fulcrum ÷ NGINX: 15/10 = 1.5, 60/50 = 1.2, 50/20 = 2.5 → median 1.5 (met). The
// median rounds (both round 3) alone give 2.5, which would miss 2×. Minimal ÷ NGINX: 1.2, 0.9, 1.5 → 1.2.
// Fulcrum's round 2 peaks at 320 MB (its median round at 110 MB); minimal's round 2 drops one stream.
const direct = () => contender('direct', [sse(5), sse(20), sse(8)]);
const nginx = () => contender('nginx', [sse(10), sse(50), sse(20)]);
const minimal = () => contender('minimal', [sse(12), sse(45, { completed: 4999 }), sse(30)]);
const fulcrum = () => contender('fulcrum', [sse(15), sse(60, { rssMb: 320 }), sse(50, { rssMb: 110 })]);

test('medianSseRound: the round with the median TTFC p99, lower-middle for an even count', () => {
  const rounds = [sse(30), null, sse(10), sse(20)];
  assert.equal(medianSseRound(rounds), rounds[3]);
  const even = [sse(40), sse(10)];
  assert.equal(medianSseRound(even), even[1]);
  // No stream completed: TTFC p99 is NaN (null once through JSON), so the round is not a candidate.
  const none = sse(1, { completed: 0 });
  (none.result.ttfc as { p99: number | null }).p99 = null;
  assert.equal(medianSseRound([none, sse(7)])?.result.ttfc.p99, 7);
  assert.equal(medianSseRound([none]), undefined);
});

test('--sse-rounds: default 5, --quick 1, explicit value wins, positive integers only', () => {
  const options = (argv: string[]) => {
    const o = parseOptions(argv);
    assert.ok(o !== 'help');
    return o;
  };
  assert.equal(options([]).sseRounds, 5);
  assert.equal(options(['--quick']).sseRounds, 1);
  assert.equal(options(['--quick', '--sse-rounds', '3']).sseRounds, 3);
  assert.equal(options(['--sse-rounds', '4', '--quick']).sseRounds, 4);
  assert.throws(() => parseOptions(['--sse-rounds', '0']), /--sse-rounds must be a positive integer/);
  assert.throws(() => parseOptions(['--sse-rounds', '2.5']), /--sse-rounds must be a positive integer/);
  const o = options(['--rounds', '5', '--sse-rounds', '2']);
  assert.deepEqual(
    (['closed', 'open', 'sse', 'burst'] as const).map((p) => phaseRounds(p, o)),
    [5, 5, 2, 2],
  );
});

test('TTFC target: the median of paired per-round ratios, not the ratio of median rounds', () => {
  const r = report([direct(), nginx(), minimal(), fulcrum()]);
  assert.equal(r.contenders[3]!.sse!.result.ttfc.p99, 50);
  const md = toMarkdown(r);

  assert.deepEqual(targetCell(md, FULCRUM, 'TTFC p99').slice(2, 4), [
    '1.50× (median of 3 paired rounds)',
    'met',
  ]);
  assert.equal(targetCell(md, MINIMAL, 'TTFC p99')[2], '1.20× (median of 3 paired rounds)');

  // The SSE table shows the median rounds and their (unpaired) ratio, and says so.
  const ramp = section(md, 'SSE ramp: 5000 streams');
  assert.match(ramp, /\(40 chunks, 200 ms apart; 3 rounds\)/);
  assert.match(
    ramp,
    /\| Fulcrum \(round-robin\) \| 5000\/5000 \| 25\.0 \| 50\.0 \| 75\.0 \| 2\.50 \| 110 \|/,
  );
  assert.match(ramp, /median round of 3 \(by TTFC p99\)[^\n]*the targets below compare/);

  // The rounds tables: one row per round (direct, NGINX, minimal, Fulcrum, Fulcrum ÷ NGINX), then medians.
  const rounds = section(md, 'Rounds, SSE ramp');
  assert.match(rounds, /TTFC p99 ms per round/);
  assert.match(
    rounds,
    /\| round \| direct \(no proxy\) \| NGINX \| minimal Node proxy \| Fulcrum \(round-robin\) \| Fulcrum ÷ NGINX \|/,
  );
  assert.match(rounds, /\| 1 \| 5\.0 \| 10\.0 \| 12\.0 \| 15\.0 \| 1\.50 \|/);
  assert.match(rounds, /\| 2 \| 20\.0 \| 50\.0 \| 45\.0 \(4999\/5000 complete\) \| 60\.0 \| 1\.20 \|/);
  assert.match(rounds, /\| 3 \| 8\.0 \| 20\.0 \| 30\.0 \| 50\.0 \| 2\.50 \|/);
  assert.match(rounds, /\| median \| 8\.0 \| 20\.0 \| 30\.0 \| 50\.0 \| 1\.50 \|/);
  assert.match(rounds, /which is the figure the targets use/);
  // The burst has its rounds table too, but no target uses it.
  const burst = section(md, 'Rounds, SSE burst');
  assert.match(burst, /\| median \| 8\.0 \| 20\.0 \| 30\.0 \| 50\.0 \| 1\.50 \|/);
  assert.doesNotMatch(burst, /targets use/);
  // Each rounds table follows its own phase table.
  const at = (h: string) => md.indexOf(`### ${h}`);
  assert.ok(at('SSE ramp') < at('Rounds, SSE ramp') && at('Rounds, SSE ramp') < at('SSE burst'));
  assert.ok(at('SSE burst') < at('Rounds, SSE burst') && at('Rounds, SSE burst') < at('Targets'));
});

test('completion must hold in every round: one round with 4,999/5,000 misses', () => {
  const md = toMarkdown(report([direct(), nginx(), minimal(), fulcrum()]));
  assert.deepEqual(targetCell(md, MINIMAL, 'all 5000 streams').slice(2, 4), [
    '4999/5000 in round 2 of 3',
    '**MISSED**',
  ]);
  assert.deepEqual(targetCell(md, FULCRUM, 'all 5000 streams').slice(2, 4), [
    '5000/5000 in each of 3 rounds',
    'met',
  ]);
  // The minimal proxy's median round (round 3) completed every stream: its SSE table row alone would pass.
  assert.match(section(md, 'SSE ramp: 5000'), /\| minimal Node proxy \| 5000\/5000 \|/);

  // The worst round is the one with the fewest complete.
  const worse = contender('minimal', [sse(12, { completed: 4990 }), sse(45, { completed: 4999 }), sse(30)]);
  const md2 = toMarkdown(report([nginx(), worse]));
  assert.equal(targetCell(md2, MINIMAL, 'all 5000 streams')[2], '4990/5000 in round 1 of 3');
});

test('peak RSS must hold in every round: the largest peak over rounds', () => {
  const md = toMarkdown(report([direct(), nginx(), minimal(), fulcrum()]));
  assert.deepEqual(targetCell(md, FULCRUM, 'peak RSS').slice(2, 4), [
    '320 MB (largest of 3 rounds)',
    '**MISSED**',
  ]);
  assert.deepEqual(targetCell(md, MINIMAL, 'peak RSS').slice(2, 4), ['100 MB (largest of 3 rounds)', 'met']);
});

test('a round that did not run: left out of the pairs, named next to the limits', () => {
  const f = fulcrum();
  f.sseRounds![1] = null; // the 320 MB round
  f.errors.sse = 'round 2: load generator failed';
  const md = toMarkdown(report([direct(), nginx(), minimal(), f]));
  // Rounds 1 and 3 pair: 1.5 and 2.5 → 2.0, still within 2×.
  assert.equal(targetCell(md, FULCRUM, 'TTFC p99')[2], '2.00× (median of 2 paired rounds)');
  assert.equal(
    targetCell(md, FULCRUM, 'all 5000 streams')[2],
    '5000/5000 in each of 2 rounds (round 2 did not run)',
  );
  assert.equal(targetCell(md, FULCRUM, 'peak RSS')[2], '110 MB (largest of 2 rounds) (round 2 did not run)');
  assert.match(section(md, 'Rounds, SSE ramp'), /\| 2 \| 20\.0 \| 50\.0 \| 45\.0 [^|]*\| failed \| n\/a \|/);
  assert.match(md, /Fulcrum \(round-robin\), phase sse: round 2: load generator failed/);
});

test('two rounds: the paired median is the mean of the two ratios; the table shows the lower round', () => {
  const md = toMarkdown(
    report([contender('nginx', [sse(10), sse(20)]), contender('fulcrum', [sse(30), sse(15)])], 2),
  );
  // 30/10 = 3.0 and 15/20 = 0.75 → 1.875.
  assert.equal(targetCell(md, FULCRUM, 'TTFC p99')[2], '1.88× (median of 2 paired rounds)');
  assert.match(section(md, 'SSE ramp: 5000'), /\| Fulcrum \(round-robin\) \| 5000\/5000 \| 7\.5 \| 15\.0 \|/);
});

test('one round, or a report from before SSE rounds: no rounds tables, single-measurement targets', () => {
  const one = [nginx(), minimal(), fulcrum()].map((c) => {
    const rounds = c.sseRounds!.slice(0, 1);
    return { ...c, sseRounds: rounds, burstRounds: rounds, sse: rounds[0]!, burst: rounds[0]! };
  });
  const md1 = toMarkdown(report(one, 1));
  assert.doesNotMatch(md1, /### Rounds|paired rounds|median round|rounds\)/);
  assert.deepEqual(targetCell(md1, FULCRUM, 'TTFC p99').slice(2, 4), ['1.50×', 'met']);
  assert.equal(targetCell(md1, FULCRUM, 'all 5000 streams')[2], '5000/5000');
  assert.equal(targetCell(md1, FULCRUM, 'peak RSS')[2], '100 MB');

  // Old JSON: no sseRounds/burstRounds at all; the targets use the single measurements.
  const old = [nginx(), minimal(), fulcrum()].map(
    ({ sseRounds: _s, burstRounds: _b, ...c }): ContenderReport => c,
  );
  const md0 = toMarkdown(report(old));
  assert.doesNotMatch(md0, /### Rounds|paired rounds|median round/);
  assert.deepEqual(targetCell(md0, FULCRUM, 'TTFC p99').slice(2, 4), ['2.50×', '**MISSED**']);
  assert.deepEqual(targetCell(md0, FULCRUM, 'peak RSS').slice(2, 4), ['110 MB', 'met']);
  assert.deepEqual(targetCell(md0, MINIMAL, 'all 5000 streams').slice(2, 4), ['5000/5000', 'met']);

  // An old report where NGINX completed no stream (TTFC p99 null in JSON): n/a, not 0×.
  (old[0]!.sse!.result.ttfc as { p99: number | null }).p99 = null;
  assert.deepEqual(targetCell(toMarkdown(report(old)), FULCRUM, 'TTFC p99').slice(2, 4), ['n/a', 'n/a']);
});
