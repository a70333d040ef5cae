import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { DeadlineList, type TimerApi } from '../../src/core/deadline-list.js';

/** Timers driven by a ManualClock: `advance` moves time and fires whatever is due, in order. */
class FakeTimers implements TimerApi {
  pending: Array<{ at: number; fn: () => void; id: number }> = [];
  armed = 0;
  #id = 0;
  constructor(private readonly clock: ManualClock) {}
  setTimeout(fn: () => void, ms: number): unknown {
    this.armed += 1;
    const id = ++this.#id;
    this.pending.push({ at: this.clock.now() + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((t) => t.id !== handle);
  }
  advance(ms: number): void {
    const end = this.clock.now() + ms;
    for (;;) {
      this.pending.sort((a, b) => a.at - b.at);
      const next = this.pending[0];
      if (!next || next.at > end) break;
      this.pending.shift();
      this.clock.advance(next.at - this.clock.now());
      next.fn();
    }
    this.clock.advance(end - this.clock.now());
  }
}

function setup(durationMs = 100) {
  const clock = new ManualClock(1_000);
  const timers = new FakeTimers(clock);
  const list = new DeadlineList(durationMs, () => clock.now(), timers);
  return { clock, timers, list };
}

describe('DeadlineList', () => {
  it('fires each deadline once, at its time, in order', () => {
    const { timers, list } = setup(100);
    const fired: string[] = [];
    list.add(() => fired.push('a'));
    timers.advance(30);
    list.add(() => fired.push('b'));
    timers.advance(69);
    assert.deepEqual(fired, []);
    timers.advance(1);
    assert.deepEqual(fired, ['a']);
    timers.advance(29);
    assert.deepEqual(fired, ['a']);
    timers.advance(1);
    assert.deepEqual(fired, ['a', 'b']);
    timers.advance(1_000);
    assert.deepEqual(fired, ['a', 'b']);
    assert.equal(list.size, 0);
  });

  it('never fires a cancelled deadline, wherever it sits in the list', () => {
    const { timers, list } = setup(100);
    const fired: number[] = [];
    const handles = [0, 1, 2, 3, 4].map((i) => {
      timers.advance(10);
      return list.add(() => fired.push(i));
    });
    list.cancel(handles[0]!); // head
    list.cancel(handles[2]!); // middle
    list.cancel(handles[4]!); // tail
    list.cancel(handles[2]!); // twice: harmless
    assert.equal(list.size, 2);
    timers.advance(500);
    assert.deepEqual(fired, [1, 3]);
  });

  it('keeps one timer armed however many deadlines are pending', () => {
    const { timers, list } = setup(1_000);
    for (let i = 0; i < 10_000; i++) {
      const d = list.add(() => {});
      if (i % 2 === 0) list.cancel(d);
    }
    assert.equal(timers.armed, 1);
    assert.equal(list.size, 5_000);
    timers.advance(1_000);
    assert.equal(list.size, 0);
  });

  it('re-arms for the new head when the old one was cancelled', () => {
    const { timers, list } = setup(100);
    const fired: string[] = [];
    const first = list.add(() => fired.push('first'));
    timers.advance(50);
    list.add(() => fired.push('second'));
    list.cancel(first);
    timers.advance(50); // the timer armed for `first` fires, finds nothing due
    assert.deepEqual(fired, []);
    timers.advance(49);
    assert.deepEqual(fired, []);
    timers.advance(1);
    assert.deepEqual(fired, ['second']);
  });

  it('survives a throwing callback and callbacks that add deadlines', () => {
    const { timers, list } = setup(100);
    const fired: string[] = [];
    list.add(() => {
      throw new Error('boom');
    });
    list.add(() => {
      fired.push('second');
      list.add(() => fired.push('added'));
    });
    timers.advance(100);
    assert.deepEqual(fired, ['second']);
    timers.advance(100);
    assert.deepEqual(fired, ['second', 'added']);
  });

  it('refresh() restarts the full duration and moves the deadline behind the others', () => {
    const { timers, list } = setup(100);
    const fired: string[] = [];
    const a = list.add(() => fired.push('a'));
    timers.advance(10);
    list.add(() => fired.push('b'));
    timers.advance(80);
    list.refresh(a); // now due at 190, after b (110)
    timers.advance(20);
    assert.deepEqual(fired, ['b']);
    timers.advance(79);
    assert.deepEqual(fired, ['b']);
    timers.advance(1);
    assert.deepEqual(fired, ['b', 'a']);
  });

  it('refresh() re-registers a cancelled or expired deadline', () => {
    const { timers, list } = setup(100);
    let fired = 0;
    const d = list.add(() => fired++);
    list.cancel(d);
    list.refresh(d);
    assert.equal(list.size, 1);
    timers.advance(100);
    assert.equal(fired, 1);
    list.refresh(d);
    timers.advance(100);
    assert.equal(fired, 2);
    assert.equal(list.size, 0);
  });

  it('clear() drops everything without firing', () => {
    const { timers, list } = setup(100);
    let fired = 0;
    list.add(() => fired++);
    list.add(() => fired++);
    list.clear();
    timers.advance(1_000);
    assert.equal(fired, 0);
    assert.equal(list.size, 0);
    assert.equal(timers.pending.length, 0);
  });

  it('a deadline refreshed after clear() is linked afresh (no stale neighbours)', () => {
    const { timers, list } = setup(100);
    const fired: string[] = [];
    const a = list.add(() => fired.push('a'));
    list.add(() => fired.push('b'));
    list.clear();
    list.refresh(a);
    assert.equal(list.size, 1);
    timers.advance(100);
    assert.deepEqual(fired, ['a'], 'b was cleared and must not fire through a stale link');
    assert.equal(list.size, 0);
  });

  it('works with the real timers', async () => {
    const list = new DeadlineList(30);
    const started = performance.now();
    const at = await new Promise<number>((resolve) => {
      // unref'd timer: keep the test alive ourselves
      const keep = setTimeout(() => {}, 1_000);
      list.add(() => {
        clearTimeout(keep);
        resolve(performance.now());
      });
    });
    assert.ok(at - started >= 29, `fired after ${at - started} ms`);
  });

  it('rejects a non-positive duration', () => {
    assert.throws(() => new DeadlineList(0), RangeError);
  });
});
