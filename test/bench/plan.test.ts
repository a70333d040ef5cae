import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { backendOptions } from '../../src/bench/cluster/sim-cluster.js';
import { applyOverrides } from '../../src/bench/commands/compare-command.js';
import { fulcrumConfig } from '../../src/bench/contenders.js';
import { contenderName, loadPlan, parsePlan } from '../../src/bench/plan.js';
import { configSchema } from '../../src/config/schema.js';

const base = {
  name: 'p',
  workload: { synthetic: 'sharegpt', requests: 10 },
  cluster: { backends: [{ count: 2 }, { profile: 'a100-llama3-8b', engine: 'sglang', weight: 3 }] },
  contenders: [
    { kind: 'nginx', method: 'least_conn' },
    { kind: 'fulcrum', strategy: 'random' },
    { kind: 'direct' },
  ],
};

test('plan defaults, contender names and backend expansion', () => {
  const plan = parsePlan(base);
  assert.equal(plan.timeScale, 1);
  assert.deepEqual(plan.load, { mode: 'trace', rateScale: 1, jitterMs: 0 });
  assert.deepEqual(plan.contenders.map(contenderName), ['nginx-least_conn', 'fulcrum-random', 'direct']);
  const backends = backendOptions({ ...plan, seed: 7, timeScale: 3 });
  assert.deepEqual(
    backends.map((b) => [b.name, b.profile, b.engine, b.seed, b.timeScale, b.weight]),
    [
      ['sim-0', 'h100-llama3-8b', 'vllm', 7, 3, 1],
      ['sim-1', 'h100-llama3-8b', 'vllm', 8, 3, 1],
      ['sim-2', 'a100-llama3-8b', 'sglang', 9, 3, 3],
    ],
  );
});

test('plan errors name the path of every problem', () => {
  assert.throws(
    () => parsePlan({ ...base, timeScale: -1, extra: 1 }),
    /timeScale[\s\S]*\(root\)|\(root\)[\s\S]*timeScale/,
  );
  assert.throws(() => parsePlan({ ...base, baseline: 'nope' }), /baseline "nope" is not a contender/);
  assert.throws(
    () => parsePlan({ ...base, contenders: [{ kind: 'direct' }, { kind: 'direct' }] }),
    /two contenders are named "direct"/,
  );
  assert.throws(() => parsePlan({ ...base, contenders: [{ kind: 'direct', backend: 3 }] }), /uses backend 3/);
  assert.throws(
    () => parsePlan({ ...base, contenders: [{ kind: 'nginx', method: 'hash' }] }),
    /contenders\.0\.method/,
  );
});

test('--only and --rate-scale overrides', () => {
  const plan = parsePlan({ ...base, baseline: 'nginx-least_conn' });
  const only = applyOverrides(plan, 'fulcrum-random,direct', '2.5');
  assert.deepEqual(only.contenders.map(contenderName), ['fulcrum-random', 'direct']);
  assert.equal(only.baseline, 'fulcrum-random');
  assert.deepEqual(only.load, { mode: 'trace', rateScale: 2.5, jitterMs: 0 });
  assert.throws(() => applyOverrides(plan, 'nginx-x', undefined), /no contender named nginx-x/);
  assert.throws(() => applyOverrides(plan, undefined, '0'), /--rate-scale/);
});

test('the generated Fulcrum config is valid for the config schema', () => {
  const config = fulcrumConfig('least-connections', {}, [
    { name: 'sim-0', url: 'http://127.0.0.1:1', weight: 2, profile: 'p', engine: 'vllm' },
  ]);
  const parsed = configSchema.parse(config);
  assert.equal(parsed.endpoints[0]!.weight, 2);
  assert.equal(parsed.admin.enabled, false);
});

test('every shipped bench plan is valid', async () => {
  const files = [
    ...readdirSync('examples')
      .filter((f) => /^bench-.*\.yaml$/.test(f))
      .map((f) => join('examples', f)),
    ...readdirSync('examples/reference')
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join('examples/reference', f)),
  ];
  for (const file of files) await loadPlan(file);
  assert.ok(files.length >= 4, `${files.length} plans`);
});
