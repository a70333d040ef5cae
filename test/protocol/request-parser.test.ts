/**
 * The data plane's request parser (src/server/h1/request-parser.ts): heads and bodies at every split point
 * a socket could cut them, pipelined requests one at a time, headers shown as node:http shows them, and
 * every request shape it must refuse, with the status the client should get.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type RequestHead,
  RequestParseError,
  RequestParser,
  type RequestParserLimits,
} from '../../src/server/h1/request-parser.js';

const LIMITS: RequestParserLimits = {
  maxHeadBytes: 1024,
  maxHeaders: 10,
  maxTargetBytes: 64,
  maxLineBytes: 64,
};

interface Parsed {
  heads: RequestHead[];
  bodies: string[];
  completes: number;
  parser: RequestParser;
}

function parser(limits: RequestParserLimits = LIMITS): Parsed {
  const out: Parsed = { heads: [], bodies: [], completes: 0, parser: undefined as never };
  out.parser = new RequestParser(
    {
      head: (head) => {
        out.heads.push(head);
        out.bodies.push('');
      },
      body: (chunk) => {
        out.bodies[out.bodies.length - 1] += chunk.toString('latin1');
      },
      complete: () => {
        out.completes++;
      },
    },
    limits,
  );
  return out;
}

/**
 * Feeds `wire` in pieces cut at `cuts`, each piece inside a larger buffer with junk around it (as a shared
 * read buffer would hold), resetting the parser after each complete request as a server does.
 */
function feed(p: Parsed, wire: string, cuts: number[] = []): void {
  const bounds = [0, ...cuts, wire.length];
  for (let i = 0; i < bounds.length - 1; i++) {
    const piece = Buffer.from(wire.slice(bounds[i], bounds[i + 1]), 'latin1');
    const buf = Buffer.concat([Buffer.from('\r\n\r\nJUNK'), piece, Buffer.from('\r\n\r\nJUNK')]);
    let at = 8;
    const end = 8 + piece.length;
    while (at < end) {
      at = p.parser.execute(buf, at, end);
      if (p.parser.done) p.parser.reset();
    }
  }
}

function refusal(wire: string, limits?: RequestParserLimits): RequestParseError {
  const p = parser(limits);
  try {
    feed(p, wire);
  } catch (err) {
    assert.ok(err instanceof RequestParseError, String(err));
    return err;
  }
  assert.fail(`accepted: ${JSON.stringify(wire)}`);
}

const POST =
  'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"model":1}';

describe('request parser', () => {
  test('a head and a Content-Length body, whole and at every split point', () => {
    for (let cut = 0; cut <= POST.length; cut++) {
      const p = parser();
      feed(p, POST, cut === 0 || cut === POST.length ? [] : [cut]);
      assert.equal(p.heads.length, 1, `cut ${cut}`);
      const head = p.heads[0]!;
      assert.equal(head.method, 'POST');
      assert.equal(head.url, '/v1/chat/completions');
      assert.equal(head.httpVersion, '1.1');
      assert.equal(head.headers['content-type'], 'application/json');
      assert.equal(head.contentLength, 11);
      assert.equal(head.keepAlive, true);
      assert.equal(p.bodies[0], '{"model":1}', `cut ${cut}`);
      assert.equal(p.completes, 1);
    }
  });

  test('a chunked body with extensions and trailers, fed one byte at a time', () => {
    const wire =
      'POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5;name=value\r\nhello\r\n1 \r\n \r\na\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n';
    const p = parser();
    feed(
      p,
      wire,
      Array.from({ length: wire.length - 1 }, (_, i) => i + 1),
    );
    assert.equal(p.heads[0]!.chunked, true);
    assert.equal(p.bodies[0], 'hello 0123456789');
    assert.equal(p.completes, 1);
  });

  test('pipelined requests come out one at a time, each after the previous one completed', () => {
    const wire = `GET /a HTTP/1.1\r\nHost: x\r\n\r\n${POST}GET /b HTTP/1.1\r\nHost: x\r\n\r\n`;
    const p = parser();
    const buf = Buffer.from(wire, 'latin1');
    let at = p.parser.execute(buf, 0, buf.length);
    assert.equal(p.heads.length, 1, 'stops at the end of the first request');
    assert.equal(p.parser.done, true);
    for (const url of ['/v1/chat/completions', '/b']) {
      p.parser.reset();
      at = p.parser.execute(buf, at, buf.length);
      assert.equal(p.heads.at(-1)!.url, url);
    }
    assert.equal(at, buf.length);
    assert.deepEqual(p.bodies, ['', '{"model":1}', '']);
    assert.equal(p.completes, 3);
  });

  test('fields are shown as node:http shows them: lower-case, joined, first kept, or listed', () => {
    const p = parser();
    feed(
      p,
      'GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.1.1.1\r\nx-forwarded-for: 2.2.2.2\r\n' +
        'Content-Type: a/b\r\nContent-Type: c/d\r\nCookie: a=1\r\nCookie: b=2\r\nSet-Cookie: s=1\r\n' +
        'Set-Cookie: s=2\r\nX-Padded:  \t value \t \r\n\r\n',
    );
    const h = p.heads[0]!.headers;
    assert.equal(h['x-forwarded-for'], '1.1.1.1, 2.2.2.2');
    assert.equal(h['content-type'], 'a/b');
    assert.equal(h.cookie, 'a=1; b=2');
    assert.deepEqual(h['set-cookie'], ['s=1', 's=2']);
    assert.equal(h['x-padded'], 'value');
  });

  test('keep-alive follows the version and the Connection header', () => {
    const cases: [string, boolean][] = [
      ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', true],
      ['GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n', false],
      ['GET / HTTP/1.0\r\n\r\n', false],
      ['GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', true],
    ];
    for (const [wire, keepAlive] of cases) {
      const p = parser();
      feed(p, wire);
      assert.equal(p.heads[0]!.keepAlive, keepAlive, wire);
    }
  });

  test('Expect: 100-continue is reported; leading empty lines are skipped', () => {
    const p = parser();
    feed(p, `\r\n\r\nPOST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok`);
    assert.equal(p.heads[0]!.expectContinue, true);
    assert.equal(p.bodies[0], 'ok');
  });

  test('bytes past the caller’s end are never read, even when they would complete the head', () => {
    const p = parser();
    const buf = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1');
    assert.equal(p.parser.execute(buf, 0, buf.length - 2), buf.length - 2);
    assert.equal(p.heads.length, 0);
    assert.equal(p.parser.idle, false, 'mid-head');
    p.parser.execute(buf, buf.length - 2, buf.length);
    assert.equal(p.heads.length, 1);
  });

  test('refuses what RFC 9112 does not allow, with the status a client should see', () => {
    const cases: [string, number][] = [
      ['GET / HTTP/1.1\nHost: x\r\n\r\n', 400], // bare LF
      ['GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n', 400], // bare CR
      ['GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n c\r\n\r\n', 400], // obs-fold
      ['GET / HTTP/1.1\r\nHost : x\r\n\r\n', 400], // whitespace before the colon
      ['GET / HTTP/1.1\r\nHost: x\r\nA: b\x01c\r\n\r\n', 400], // control character
      ['GET /  HTTP/1.1\r\nHost: x\r\n\r\n', 400], // malformed request line
      ['BREW / HTTP/1.1\r\nHost: x\r\n\r\n', 400], // not an HTTP method
      ['CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n', 400],
      ['GET / HTTP/1.1\r\n\r\n', 400], // no Host
      ['GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n', 400],
      ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n', 400],
      ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 400],
      ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
      ['POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
      ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 501],
      ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400],
      ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n', 400],
      ['GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505],
      ['POST / HTTP/1.1\r\nHost: x\r\nExpect: something\r\n\r\n', 417],
      [`GET /${'a'.repeat(64)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414],
      [`GET / HTTP/1.1\r\nHost: x\r\n${'A: b\r\n'.repeat(10)}\r\n`, 431],
      [`GET / HTTP/1.1\r\nHost: x\r\nA: ${'b'.repeat(1024)}\r\n\r\n`, 431],
      [`${'\r\n'.repeat(9)}GET / HTTP/1.1\r\nHost: x\r\n\r\n`, 400],
    ];
    for (const [wire, status] of cases) {
      assert.equal(refusal(wire).status, status, JSON.stringify(wire));
    }
  });

  test('a head too large is refused before its end arrives', () => {
    const p = parser();
    assert.throws(
      () => feed(p, `GET / HTTP/1.1\r\nHost: x\r\nA: ${'b'.repeat(2000)}`),
      (err: unknown) => err instanceof RequestParseError && err.status === 431,
    );
  });
});
