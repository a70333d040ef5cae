import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveResponses } from '../../src/proxy/live-responses.js';

describe('LiveResponses', () => {
  it('cutAll() calls every registered cut once, and none that was deleted', () => {
    const live = new LiveResponses();
    const calls: number[] = [];
    const entries = [0, 1, 2, 3, 4].map((i) => live.add(() => calls.push(i)));
    live.delete(entries[0]!); // oldest
    live.delete(entries[2]!); // middle
    live.delete(entries[4]!); // newest
    live.delete(entries[2]!); // twice: harmless
    assert.equal(live.size, 2);
    assert.equal(live.stopped, false);
    live.cutAll();
    assert.deepEqual(calls.sort(), [1, 3]);
    assert.equal(live.stopped, true);
  });

  it('a cut may unregister itself and others while cutAll() runs', () => {
    const live = new LiveResponses();
    const calls: string[] = [];
    let b: ReturnType<LiveResponses['add']> | undefined;
    const a = live.add(() => {
      calls.push('a');
      live.delete(a);
      if (b) live.delete(b);
    });
    b = live.add(() => {
      calls.push('b');
      live.delete(b!);
    });
    live.cutAll();
    assert.deepEqual(calls.sort(), ['a', 'b']);
    assert.equal(live.size, 0);
  });
});
