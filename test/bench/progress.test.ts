import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createProgress } from '../../src/bench/progress.js';

function sink() {
  const writes: string[] = [];
  return { writes, stream: { write: (s: string) => writes.push(s) > 0 } as unknown as NodeJS.WriteStream };
}

test('live progress shows done/total, errors and the corrected total', () => {
  const { writes, stream } = sink();
  const p = createProgress('run', 10, true, stream);
  p.setTotal(3);
  p.done(true);
  p.done(false);
  p.finish();
  const last = writes.at(-1)!;
  assert.match(last, /run .* 2\/3 .*errors 1/);
  assert.ok(last.endsWith('\n'));
});

test('quiet progress (CI, not a terminal) writes nothing', () => {
  const { writes, stream } = sink();
  const p = createProgress('run', 2, false, stream);
  p.done(true);
  p.finish();
  assert.deepEqual(writes, []);
});
