import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeLabelValue, Registry } from '../../src/telemetry/prometheus.js';
import { parseExposition, sampleValue } from './exposition.js';

describe('prometheus registry', () => {
  it('renders counters with HELP/TYPE and labels', () => {
    const r = new Registry();
    const c = r.counter('x_total', 'Things.\nSecond line with \\ backslash.', ['a', 'b']);
    c.inc({ a: '1', b: '2' });
    c.inc({ a: '1', b: '2' }, 2.5);
    c.inc({ a: '3', b: '' });
    const text = r.render();
    assert.match(
      text,
      /^# HELP x_total Things\.\\nSecond line with \\\\ backslash\.\n# TYPE x_total counter\n/,
    );
    assert.match(text, /^x_total\{a="1",b="2"\} 3\.5$/m);
    const fam = parseExposition(text);
    assert.equal(fam.get('x_total')?.type, 'counter');
    assert.equal(sampleValue(fam, 'x_total', { a: '3', b: '' }), 1);
  });

  it('refuses to decrease a counter and rejects bad names', () => {
    const r = new Registry();
    const c = r.counter('ok_total', 'h');
    assert.throws(() => c.inc(undefined, -1), /only increase/);
    assert.throws(() => r.counter('bad-name', 'h'), /invalid metric name/);
    assert.throws(() => r.counter('y_total', 'h', ['__reserved']), /invalid label name/);
    assert.throws(() => r.histogram('h_seconds', 'h', ['le'], [1]), /le/);
    assert.throws(() => r.counter('ok_total', 'h'), /already registered/);
    assert.throws(() => r.histogram('h2_seconds', 'h', [], [2, 1]), /strictly increasing/);
  });

  it('escapes label values so that the output stays parseable', () => {
    assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
    const r = new Registry();
    const nasty = 'quote " backslash \\ newline \n brace } comma , equals =';
    r.counter('esc_total', 'h', ['v']).inc({ v: nasty });
    const fam = parseExposition(r.render());
    assert.equal(fam.get('esc_total')?.samples[0]?.labels.v, nasty);
  });

  it('renders gauges, including collected ones evaluated at scrape time', () => {
    const r = new Registry();
    const g = r.gauge('g', 'h');
    g.set(undefined, 5);
    g.dec();
    let live = [
      ['a', 1],
      ['b', 2],
    ] as const;
    r.gauge('live', 'h', ['name'], {
      collect: (set) => {
        for (const [name, v] of live) set({ name }, v);
      },
    });
    let fam = parseExposition(r.render());
    assert.equal(sampleValue(fam, 'g'), 4);
    assert.equal(sampleValue(fam, 'live', { name: 'b' }), 2);
    live = [['c', 3]] as unknown as typeof live;
    fam = parseExposition(r.render());
    assert.equal(fam.get('live')?.samples.length, 1, 'series that vanished are not rendered');
    assert.equal(sampleValue(fam, 'live', { name: 'c' }), 3);
  });

  it('keeps rendering when a collector throws', () => {
    const r = new Registry();
    r.gauge('broken', 'h', [], {
      collect: () => {
        throw new Error('boom');
      },
    });
    r.counter('after_total', 'h').inc();
    const fam = parseExposition(r.render());
    assert.equal(fam.get('broken')?.samples.length, 0);
    assert.equal(sampleValue(fam, 'after_total'), 1);
  });

  it('renders cumulative histogram buckets with _sum and _count', () => {
    const r = new Registry();
    const h = r.histogram('lat_seconds', 'h', ['m'], [0.1, 1, 10]);
    for (const v of [0.05, 0.1, 0.5, 2, 50, Number.NaN]) h.observe({ m: 'a' }, v);
    const text = r.render();
    const fam = parseExposition(text);
    // 0.1 is in the le="0.1" bucket: bounds are inclusive upper bounds.
    assert.equal(sampleValue(fam, 'lat_seconds_bucket', { m: 'a', le: '0.1' }), 2);
    assert.equal(sampleValue(fam, 'lat_seconds_bucket', { m: 'a', le: '1' }), 3);
    assert.equal(sampleValue(fam, 'lat_seconds_bucket', { m: 'a', le: '10' }), 4);
    assert.equal(sampleValue(fam, 'lat_seconds_bucket', { m: 'a', le: '+Inf' }), 5);
    assert.equal(sampleValue(fam, 'lat_seconds_count', { m: 'a' }), 5, 'NaN is ignored');
    assert.ok(Math.abs(sampleValue(fam, 'lat_seconds_sum', { m: 'a' }) - 52.65) < 1e-9);
  });

  it('folds label sets past the cap into "other" and counts the folds', () => {
    const r = new Registry({ maxSeries: 10 });
    const c = r.counter('req_total', 'h', ['model', 'status']);
    const h = r.histogram('d_seconds', 'h', ['model'], [1]);
    for (let i = 0; i < 1000; i++) {
      c.inc({ model: `m${i}`, status: '200' });
      h.observe({ model: `m${i}` }, 0.5);
    }
    assert.equal(c.size, 11, 'cap plus the one "other" series');
    const fam = parseExposition(r.render());
    assert.equal(sampleValue(fam, 'req_total', { model: 'other', status: 'other' }), 990);
    assert.equal(sampleValue(fam, 'req_total', { model: 'm0' }), 1);
    assert.equal(sampleValue(fam, 'd_seconds_count', { model: 'other' }), 990);
    assert.equal(sampleValue(fam, 'fulcrum_metric_series_folded_total', { metric: 'req_total' }), 990);
    assert.equal(sampleValue(fam, 'fulcrum_metric_series_folded_total', { metric: 'd_seconds' }), 990);
    // Existing series keep counting normally after the cap is reached.
    c.inc({ model: 'm5', status: '200' });
    assert.equal(c.get({ model: 'm5', status: '200' }), 2);
  });

  it('the test parser rejects malformed expositions (so the checks above can fail)', () => {
    assert.throws(() => parseExposition('# TYPE a counter\na{x="1} 1\n'), /unterminated/);
    assert.throws(() => parseExposition('a 1\n'), /undeclared/);
    assert.throws(() => parseExposition('# TYPE a counter\na one\n'), /bad value/);
    assert.throws(
      () =>
        parseExposition(
          '# TYPE h histogram\nh_bucket{le="1"} 3\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n',
        ),
      /not cumulative/,
    );
    assert.throws(() => parseExposition('# TYPE a counter\n# TYPE b counter\nb 1\na 1\n'), /interleaved/);
  });
});
