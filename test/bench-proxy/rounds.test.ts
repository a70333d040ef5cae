/**
 * The proxy bench's rounds: the median round shown in the phase tables, the paired per-round figures the
 * targets use, and the rounds tables, all on a synthetic report (no processes).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOptions } from '../../src/bench/proxy/options.js';
import { type ContenderReport, type ProxyBenchReport, toMarkdown } from '../../src/bench/proxy/report.js';
import {
  medianClosedRound,
  medianOpenRound,
  medianRound,
  pairedMedian,
  roundOrder,
  throughputRatio,
} from '../../src/bench/proxy/rounds.js';
import { requestMeasurement as measurement, syntheticReport, targetCell } from './synthetic.js';

/** A contender with closed-loop throughputs and open-loop p99s per round; `closed`/`open` as given. */
function contender(
  name: ContenderReport['name'],
  throughputs: (number | null)[],
  p99s: (number | null)[],
): ContenderReport {
  const closedRounds = throughputs.map((t) => (t === null ? null : measurement(t, 5)));
  const openRounds = p99s.map((p) => (p === null ? null : measurement(1000, p)));
  return {
    name,
    available: true,
    errors: {},
    closedRounds,
    openRounds,
    closed: medianClosedRound(closedRounds),
    open: medianOpenRound(openRounds),
  };
}

function report(contenders: ContenderReport[], rounds = 3): ProxyBenchReport {
  return syntheticReport(contenders, { rounds, phases: ['closed', 'open'] });
}

// Per-round Fulcrum ÷ minimal: 880/1100 = 0.8, 950/1000 = 0.95, 1104/1200 = 0.92 → median 0.92. The median
// rounds alone (Fulcrum's round 2 at 950 vs minimal's round 1 at 1100) give 0.86, which would miss 0.9.
// Added p99 over direct per round: 0.2, 1.0, 1.8 → median 1.0; the median rounds alone give 3.8 − 2.0 = 1.8.
const direct = () => contender('direct', [2000, 2100, 2200], [1.0, 3.0, 2.0]);
const minimal = () => contender('minimal', [1100, 1000, 1200], [1.5, 3.5, 2.5]);
const fulcrum = () => contender('fulcrum', [880, 950, 1104], [1.2, 4.0, 3.8]);

test('medianRound picks a real round: the median, lower-middle for an even count', () => {
  const rounds = [measurement(300, 9), measurement(100, 3), null, measurement(200, 1)];
  assert.equal(medianClosedRound(rounds), rounds[3]);
  assert.equal(medianOpenRound(rounds), rounds[1]);
  const even = [measurement(400, 1), measurement(100, 1), measurement(300, 1), measurement(200, 1)];
  assert.equal(medianClosedRound(even), even[3]); // 200: the lower of the middle two (200, 300)
  assert.equal(
    medianRound([5, Number.NaN, 7], (x) => x),
    5,
  );
  assert.equal(
    medianRound([null, null], (x: number) => x),
    undefined,
  );
  assert.equal(
    medianRound([], (x: number) => x),
    undefined,
  );
  // A NaN p99 comes back from JSON as null: such a round is not a candidate.
  const nullP99 = measurement(100, 1);
  (nullP99.result.latency as { p99: number | null }).p99 = null;
  assert.equal(medianOpenRound([nullP99, measurement(100, 4)])?.result.latency.p99, 4);
});

test('pairedMedian pairs by round index and skips rounds missing on either side', () => {
  const a = [measurement(80, 1), null, measurement(92, 1), measurement(50, 1)];
  const b = [measurement(100, 1), measurement(100, 1), measurement(100, 1)];
  const p = pairedMedian(a, b, throughputRatio);
  assert.equal(p?.rounds, 2);
  assert.ok(Math.abs(p.value - 0.86) < 1e-9, String(p.value));
  assert.equal(pairedMedian([null], b, throughputRatio), undefined);
  assert.deepEqual(pairedMedian([measurement(10, 1)], [measurement(0, 1)], throughputRatio), undefined);
});

test('roundOrder rotates the starting contender every round', () => {
  const order = [0, 1, 2, 3].map((r) => roundOrder(['a', 'b', 'c'], r).join(''));
  assert.deepEqual(order, ['abc', 'bca', 'cab', 'abc']);
});

test('--rounds: default 5, --quick 1, explicit value wins, positive integers only', () => {
  const rounds = (argv: string[]) => {
    const o = parseOptions(argv);
    assert.notEqual(o, 'help');
    return o === 'help' ? 0 : o.rounds;
  };
  assert.equal(rounds([]), 5);
  assert.equal(rounds(['--quick']), 1);
  assert.equal(rounds(['--quick', '--rounds', '2']), 2);
  assert.throws(() => parseOptions(['--rounds', '0']), /--rounds must be a positive integer/);
  assert.throws(() => parseOptions(['--rounds', '1.5']), /--rounds must be a positive integer/);
});

test('targets use the median of paired per-round figures, not the ratio of median rounds', () => {
  const r = report([direct(), minimal(), fulcrum()]);
  // The median rounds: what the phase tables show.
  assert.equal(r.contenders[2]!.closed!.result.throughput, 950);
  assert.equal(r.contenders[1]!.closed!.result.throughput, 1100);
  assert.equal(r.contenders[2]!.open!.result.latency.p99, 3.8);
  const md = toMarkdown(r);

  const thr = targetCell(md, 'Fulcrum (round-robin)', 'throughput');
  assert.equal(thr[2], '0.92× (median of 3 paired rounds)');
  assert.equal(thr[3], 'met');
  const added = targetCell(md, 'Fulcrum (round-robin)', 'added p99');
  assert.equal(added[2], '1.00 ms (median of 3 paired rounds)');
  assert.equal(targetCell(md, 'minimal Node proxy', 'added p99')[2], '0.50 ms (median of 3 paired rounds)');

  // The closed-loop table still compares the median rounds, and says so.
  const fulcrumRow = md.split('\n').find((l) => l.startsWith('| Fulcrum (round-robin) | 950 |'));
  assert.ok(fulcrumRow?.includes('| 0.86 |'), fulcrumRow);
  assert.match(md, /closed loop: 64 connections, 10 s measured, 3 rounds/);
  assert.match(md, /median round of 3 \(by req\/s\)/);

  // The rounds tables: one row per round, then the medians.
  const closedRounds = md.split('### Rounds, closed loop')[1]!.split('###')[0]!;
  assert.match(closedRounds, /\| 1 \| 2000 \| 1100 \| 880 \| 0\.80 \|/);
  assert.match(closedRounds, /\| 2 \| 2100 \| 1000 \| 950 \| 0\.95 \|/);
  assert.match(closedRounds, /\| 3 \| 2200 \| 1200 \| 1104 \| 0\.92 \|/);
  assert.match(closedRounds, /\| median \| 2100 \| 1100 \| 950 \| 0\.92 \|/);
  const openRounds = md.split('### Rounds, open loop')[1]!.split('###')[0]!;
  assert.match(openRounds, /Fulcrum added p99 ms/);
  assert.match(openRounds, /\| 3 \| 2\.00 \| 2\.50 \| 3\.80 \| 1\.80 \|/);
  assert.match(openRounds, /\| median \| 2\.00 \| 2\.50 \| 3\.80 \| 1\.00 \|/);
  // Rounds tables follow their phase table.
  assert.ok(md.indexOf('### Rounds, closed loop') < md.indexOf('### Small requests, open loop'));
});

test('a failed round is left out of the pairs and shown as failed', () => {
  const m = minimal();
  m.closedRounds![1] = null;
  m.errors.closed = 'round 2: load generator failed';
  const md = toMarkdown(report([direct(), m, fulcrum()]));
  // Rounds 1 and 3 pair: 0.8 and 0.92 → 0.86, which misses the target.
  const thr = targetCell(md, 'Fulcrum (round-robin)', 'throughput');
  assert.equal(thr[2], '0.86× (median of 2 paired rounds)');
  assert.equal(thr[3], '**MISSED**');
  assert.match(md, /\| 2 \| 2100 \| failed \| 950 \| n\/a \|/);
  assert.match(md, /minimal Node proxy, phase closed: round 2: load generator failed/);
});

test('one round, or a report from before rounds: no rounds tables, single-measurement targets', () => {
  const one = [direct(), minimal(), fulcrum()].map((c) => ({
    ...c,
    closedRounds: c.closedRounds!.slice(0, 1),
    openRounds: c.openRounds!.slice(0, 1),
    closed: c.closedRounds![0]!,
    open: c.openRounds![0]!,
  }));
  const md1 = toMarkdown(report(one, 1));
  assert.doesNotMatch(md1, /### Rounds/);
  assert.doesNotMatch(md1, /paired rounds|median round/);
  assert.equal(targetCell(md1, 'Fulcrum (round-robin)', 'throughput')[2], '0.80×');

  // Old JSON: no rounds at all; the targets fall back to the single measurements.
  const old = [direct(), minimal(), fulcrum()].map(({ closedRounds: _c, openRounds: _o, ...c }) => c);
  const md0 = toMarkdown(report(old));
  assert.doesNotMatch(md0, /### Rounds|paired rounds/);
  assert.equal(targetCell(md0, 'Fulcrum (round-robin)', 'throughput')[2], '0.86×');
  assert.equal(targetCell(md0, 'Fulcrum (round-robin)', 'added p99')[2], '1.80 ms');
});
