import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { H1Response } from '../../src/server/h1/response.js';

/** A response on an unconnected socket: its listener methods never touch the socket. */
function response(): H1Response {
  return new H1Response(
    new Socket(),
    { ended: () => {} },
    { head: false, http10: false, keepAlive: true, keepAliveTimeoutSec: 5 },
    () => false,
  );
}

describe('H1Response events', () => {
  it('on() listeners run on every emit, once() listeners on the next only, in registration order', () => {
    const res = response();
    const calls: string[] = [];
    res.on('drain', () => calls.push('on'));
    res.once('drain', () => calls.push('once'));
    res.on('close', () => calls.push('close'));
    assert.equal(res.emit('drain'), true);
    assert.equal(res.emit('drain'), true);
    assert.deepEqual(calls, ['on', 'once', 'on']);
    assert.equal(res.emit('error'), false);
  });

  it('off() removes one registration of that listener for that event, once() ones included', () => {
    const res = response();
    let n = 0;
    const count = (): void => {
      n++;
    };
    res.on('drain', count);
    res.on('drain', count);
    res.once('close', count);
    res.off('drain', count);
    res.off('close', count);
    res.off('error', count); // none: harmless
    res.emit('drain');
    res.emit('close');
    assert.equal(n, 1);
  });

  it('a listener removed by an earlier one during emit still runs, as with EventEmitter', () => {
    const res = response();
    const calls: string[] = [];
    const second = (): void => {
      calls.push('second');
    };
    res.on('drain', () => {
      calls.push('first');
      res.off('drain', second);
    });
    res.on('drain', second);
    res.emit('drain');
    res.emit('drain');
    assert.deepEqual(calls, ['first', 'second', 'first']);
  });

  it('close is emitted once, and closed reads true from then on', () => {
    const res = response();
    let closes = 0;
    res.on('close', () => closes++);
    assert.equal(res.closed, false);
    res.emitClose();
    res.emitClose();
    assert.equal(closes, 1);
    assert.equal(res.closed, true);
  });
});
