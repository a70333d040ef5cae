import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RetryBudget } from '../../src/proxy/retry-budget.js';

describe('RetryBudget', () => {
  it('always allows minConcurrent retries, even with nothing in flight', () => {
    const b = new RetryBudget(20, 3);
    assert.equal(b.tryRetry(), true);
    assert.equal(b.tryRetry(), true);
    assert.equal(b.tryRetry(), true);
    assert.equal(b.tryRetry(), false);
    assert.equal(b.retrying, 3);
    b.releaseRetry();
    assert.equal(b.retrying, 2);
    assert.equal(b.tryRetry(), true);
  });

  it('allows percent of the requests in flight beyond the floor, and follows them down', () => {
    const b = new RetryBudget(20, 1);
    for (let i = 0; i < 50; i++) b.enter();
    assert.equal(b.inflight, 50);
    let granted = 0;
    while (b.tryRetry()) granted++;
    assert.equal(granted, 10); // 20 % of 50
    for (let i = 0; i < 40; i++) b.leave();
    assert.equal(b.inflight, 10);
    // 20 % of 10 is 2, below the 10 held: nothing more until enough are given back.
    for (let i = 0; i < 8; i++) b.releaseRetry();
    assert.equal(b.retrying, 2);
    assert.equal(b.tryRetry(), false);
    b.releaseRetry();
    assert.equal(b.tryRetry(), true);
  });
});
