/**
 * The upstream response parser: every framing, at every split point a socket could cut it, and the
 * malformed responses it must refuse.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ResponseHeaders, ResponseParser } from '../../src/upstream/response-parser.js';

interface Parsed {
  status?: number;
  headers?: ResponseHeaders;
  body: string;
  complete: boolean;
  consumed: number;
  parser: ResponseParser;
}

function parser(expectBody = true, limits?: { maxHeadBytes: number; maxLineBytes: number }) {
  const out: Parsed = { body: '', complete: false, consumed: 0, parser: undefined as never };
  const p = new ResponseParser(
    {
      head: (status, headers) => {
        out.status = status;
        out.headers = headers;
      },
      body: (chunk) => {
        out.body += chunk.toString('latin1');
      },
      complete: () => {
        out.complete = true;
      },
    },
    limits,
  );
  p.reset(expectBody);
  out.parser = p;
  return out;
}

/** Feeds `wire` in pieces cut at `cuts`, each piece in a fresh buffer with junk around it. */
function feed(wire: string, cuts: number[], expectBody = true): Parsed {
  const out = parser(expectBody);
  let from = 0;
  for (const to of [...cuts, wire.length]) {
    const piece = Buffer.from(`JUNK${wire.slice(from, to)}\r\n\r\nJUNK`, 'latin1');
    const end = 4 + (to - from);
    const at = out.parser.execute(piece, 4, end);
    out.consumed += at - 4;
    from = to;
    if (out.complete) break;
  }
  return out;
}

function everySplit(wire: string, check: (p: Parsed, label: string) => void): void {
  check(feed(wire, []), 'whole');
  for (let i = 1; i < wire.length; i++) check(feed(wire, [i]), `cut at ${i}`);
  for (let i = 1; i + 1 < wire.length; i += 3) check(feed(wire, [i, i + 1]), `cuts at ${i}, ${i + 1}`);
}

describe('upstream response parser', () => {
  test('Content-Length body, cut anywhere', () => {
    const wire = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}';
    everySplit(wire, (p, label) => {
      assert.equal(p.status, 200, label);
      assert.equal(p.headers?.['content-type'], 'application/json', label);
      assert.equal(p.body, '{"ok":true}', label);
      assert.equal(p.complete, true, label);
      assert.equal(p.consumed, wire.length, label);
      assert.equal(p.parser.keepAlive, true, label);
    });
  });

  test('chunked body with extensions and trailers, cut anywhere', () => {
    const wire =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '6\r\ndata: \r\nA ;ext=1\r\n0123456789\r\n2\t\r\n\n\n\r\n0\r\nX-Trailer: t\r\n\r\n';
    everySplit(wire, (p, label) => {
      assert.equal(p.body, 'data: 0123456789\n\n', label);
      assert.equal(p.complete, true, label);
      assert.equal(p.consumed, wire.length, label);
      assert.equal(p.parser.keepAlive, true, label);
    });
  });

  test('stops at the end of the response, leaving what follows', () => {
    const p = parser();
    const wire = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiEXTRA');
    assert.equal(p.parser.execute(wire, 0, wire.length), wire.length - 5);
    assert.equal(p.complete, true);
    assert.equal(p.parser.done, true);
  });

  test('1xx heads are skipped; HEAD, 204 and 304 answers have no body', () => {
    const p = feed('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx', []);
    assert.equal(p.status, 200);
    assert.equal(p.body, 'x');
    for (const [wire, expectBody] of [
      ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', false],
      ['HTTP/1.1 204 No Content\r\n\r\n', true],
      ['HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n', true],
    ] as const) {
      const q = feed(wire, [], expectBody);
      assert.equal(q.complete, true, wire);
      assert.equal(q.body, '', wire);
    }
  });

  test('a body without length runs until the connection closes, and is not kept alive', () => {
    const p = feed('HTTP/1.1 200 OK\r\n\r\npart one, ', []);
    assert.equal(p.complete, false);
    assert.equal(p.parser.closeDelimited, true);
    p.parser.finish();
    assert.equal(p.complete, true);
    assert.equal(p.body, 'part one, ');
    assert.equal(p.parser.keepAlive, false);
  });

  test('EOF before the response is complete is UPSTREAM_CLOSED', () => {
    for (const wire of [
      '',
      'HTTP/1.1 200 OK\r\nContent-Len',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab',
    ]) {
      const p = feed(wire, []);
      assert.throws(() => p.parser.finish(), { code: 'UPSTREAM_CLOSED' }, JSON.stringify(wire));
    }
  });

  test('keep-alive follows the version and Connection; the Keep-Alive hint is read', () => {
    const cases: Array<[string, boolean, number | undefined]> = [
      ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', true, undefined],
      ['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', false, undefined],
      ['HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', false, undefined],
      ['HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n', true, undefined],
      ['HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n', true, 5000],
      // Both framings: the length is ignored and the connection must not be reused (RFC 9112 §6.3).
      [
        'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        false,
        undefined,
      ],
    ];
    for (const [wire, keepAlive, hint] of cases) {
      const p = feed(wire, []);
      assert.equal(p.complete, true, wire);
      assert.equal(p.parser.keepAlive, keepAlive, wire);
      assert.equal(p.parser.keepAliveHintMs, hint, wire);
    }
  });

  test('repeated headers become arrays in order', () => {
    const p = feed('HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n', []);
    assert.deepEqual(p.headers?.['set-cookie'], ['a=1', 'b=2']);
  });

  test('stop() pauses after the current callback; the rest parses on the next call', () => {
    const out: string[] = [];
    const p = new ResponseParser({
      head: () => {},
      body: (chunk) => {
        out.push(chunk.toString());
        p.stop();
      },
      complete: () => out.push('END'),
    });
    p.reset(true);
    const wire = Buffer.from(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n',
    );
    let at = 0;
    let calls = 0;
    while (!p.done) {
      at = p.execute(wire, at, wire.length);
      calls++;
    }
    assert.deepEqual(out, ['a', 'b', 'END']);
    assert.equal(calls, 3);
    assert.equal(at, wire.length);
  });

  test('malformed responses are refused with UPSTREAM_BAD_RESPONSE', () => {
    const bad = [
      'HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n', // bare LF in the head
      'HTTP/1.1 200 OK\r\nX: a\rb\r\nContent-Length: 0\r\n\r\n', // bare CR in a value
      'HTTP/1.1 200 OK\r\nX: a\r\n folded\r\nContent-Length: 0\r\n\r\n', // obsolete line folding
      'HTTP/2 200 OK\r\n\r\n',
      'HTTP/1.1 20 OK\r\n\r\n',
      'NOT HTTP\r\n\r\n',
      'HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc',
      'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1 2\r\na\r\n',
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n',
    ];
    for (const wire of bad) {
      assert.throws(() => feed(wire, []), { code: 'UPSTREAM_BAD_RESPONSE' }, JSON.stringify(wire));
    }
  });

  test('heads and chunk lines are bounded', () => {
    const limits = { maxHeadBytes: 256, maxLineBytes: 32 };
    const big = `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(300)}\r\n\r\n`;
    for (const cuts of [[], [100], [50, 150, 250]]) {
      const p = parser(true, limits);
      const buf = Buffer.from(big);
      assert.throws(
        () => {
          let from = 0;
          for (const to of [...cuts, buf.length]) {
            p.parser.execute(buf, from, to);
            from = to;
          }
        },
        { code: 'UPSTREAM_BAD_RESPONSE' },
      );
    }
    const longExt = Buffer.from(
      `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;${'e'.repeat(40)}\r\na\r\n`,
    );
    const p = parser(true, limits);
    assert.throws(() => p.parser.execute(longExt, 0, longExt.length), { code: 'UPSTREAM_BAD_RESPONSE' });
  });
});
