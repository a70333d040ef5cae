import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveResponse, LiveResponses } from '../../src/proxy/live-responses.js';

/** A registered response whose cut runs `onCut`. */
class Probe extends LiveResponse {
  constructor(readonly onCut: () => void) {
    super();
  }
  cutForShutdown(): void {
    this.onCut();
  }
}

describe('LiveResponses', () => {
  it('cutAll() calls every registered cut once, and none that was deleted', () => {
    const live = new LiveResponses();
    const calls: number[] = [];
    const entries = [0, 1, 2, 3, 4].map((i) => new Probe(() => calls.push(i)));
    for (const e of entries) live.add(e);
    live.delete(entries[0]!); // oldest
    live.delete(entries[2]!); // middle
    live.delete(entries[4]!); // newest
    live.delete(entries[2]!); // twice: harmless
    assert.equal(live.size, 2);
    assert.equal(live.stopped, false);
    live.cutAll();
    assert.deepEqual(calls.sort(), [1, 3]);
    assert.equal(live.stopped, true);
    assert.equal(live.size, 0);
  });

  it('a cut may unregister itself and others while cutAll() runs', () => {
    const live = new LiveResponses();
    const calls: string[] = [];
    const b: Probe = new Probe(() => {
      calls.push('b');
      live.delete(b);
    });
    const a: Probe = new Probe(() => {
      calls.push('a');
      live.delete(a);
      live.delete(b);
    });
    live.add(a);
    live.add(b);
    live.cutAll();
    assert.deepEqual(calls.sort(), ['a', 'b']);
    assert.equal(live.size, 0);
  });

  it('a response deleted and added again is cut once', () => {
    const live = new LiveResponses();
    let cuts = 0;
    const p = new Probe(() => cuts++);
    live.add(p);
    live.delete(p);
    live.add(p);
    live.cutAll();
    assert.equal(cuts, 1);
  });
});
