/**
 * The bench client's response reader, without sockets: framing must be decoded exactly wherever the bytes
 * are split, and every malformed or truncated response must be a failure rather than a short success.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResponseReader } from '../../src/bench/proxy/response-reader.js';

interface Seen {
  status?: number;
  body: string;
  ended: boolean;
  error?: string;
}

function read(pieces: string[], close = false): Seen {
  const seen: Seen = { body: '', ended: false };
  const reader = new ResponseReader({
    head: (s) => {
      seen.status = s;
    },
    body: (b) => {
      seen.body += b.toString('latin1');
    },
    end: () => {
      assert.equal(seen.ended, false, 'end reported once');
      seen.ended = true;
    },
    error: (e) => {
      seen.error = e;
    },
  });
  for (const p of pieces) reader.push(Buffer.from(p, 'latin1'));
  if (close) reader.close();
  return seen;
}

const CHUNKED =
  'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n' +
  '9\r\ndata: a\n\n\r\n' +
  '1b\r\ndata: bbbbbbbbbbbbbbbbbbbb\n\r\n' +
  '0\r\n\r\n';

test('chunked bodies decode the same however the bytes are split', () => {
  const whole = read([CHUNKED]);
  assert.deepEqual(whole, { status: 200, body: 'data: a\n\ndata: bbbbbbbbbbbbbbbbbbbb\n', ended: true });
  for (let cut = 1; cut < CHUNKED.length; cut++) {
    assert.deepEqual(read([CHUNKED.slice(0, cut), CHUNKED.slice(cut)]), whole, `split at ${cut}`);
  }
  assert.deepEqual(read([...CHUNKED]), whole, 'one byte at a time');
});

test('Content-Length and close-delimited bodies; a status other than 200 is reported', () => {
  assert.deepEqual(read(['HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy']), {
    status: 503,
    body: 'busy',
    ended: true,
  });
  assert.deepEqual(read(['HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n']), {
    status: 204,
    body: '',
    ended: true,
  });
  assert.deepEqual(read(['HTTP/1.0 200 OK\r\n\r\nuntil ', 'close'], true), {
    status: 200,
    body: 'until close',
    ended: true,
  });
});

test('truncated and malformed responses are failures, never a complete body', () => {
  const cut = read([CHUNKED.slice(0, CHUNKED.length - 5)], true);
  assert.equal(cut.ended, false);
  assert.match(cut.error ?? '', /closed mid-response/);
  const short = read(['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'], true);
  assert.equal(short.ended, false);
  assert.match(short.error ?? '', /closed mid-response/);
  assert.match(
    read(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n']).error ?? '',
    /chunk size/,
  );
  assert.match(
    read(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n']).error ?? '',
    /missing CRLF/,
  );
  assert.match(read(['SSH-2.0-OpenSSH\r\n\r\n']).error ?? '', /bad status line/);
  assert.match(read(['HTTP/1.1 200 OK\r\n' + 'x: y\r\n'.repeat(20_000)]).error ?? '', /too large/);
});
