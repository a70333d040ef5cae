import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type RequestEndEvent, TelemetryBus } from '../../src/telemetry/events.js';
import { attachRequestLog, createLogger, type LoggerOptions } from '../../src/telemetry/logger.js';
import { maskCredential, REDACTED, Redactor } from '../../src/telemetry/redact.js';

/** A sink that keeps every line. */
function capture(options: LoggerOptions = {}) {
  const lines: string[] = [];
  const logger = createLogger(
    { now: () => new Date('2025-01-02T03:04:05.678Z'), ...options },
    { write: (s: string) => lines.push(s) },
  );
  return { logger, lines, text: () => lines.join(''), json: () => lines.map((l) => JSON.parse(l)) };
}

// Canary secrets: none of these may ever appear in output, in any form longer than the 4-char prefix.
const CANARIES = {
  openaiKey: 'sk-proj-CANARY0123456789abcdefghij',
  adminToken: 'canary-admin-token-zq7x9w',
  password: 'hunter2-CANARY-pw',
  cookie: 'session=CANARYcookie42',
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDQU5BUlkifQ.c2lnbmF0dXJlQ0FOQVJZ',
  github: 'ghp_CANARYabcdefghijklmnopqrstuv012345',
  urlPassword: 'CANARYurlpass',
};

function assertNoCanary(output: string): void {
  for (const [name, secret] of Object.entries(CANARIES)) {
    assert.ok(!output.includes(secret), `${name} leaked: ${output}`);
    // Tails as well as whole values: a partial mask must not leave the secret's body.
    assert.ok(!output.includes(secret.slice(6)), `${name} tail leaked: ${output}`);
  }
}

describe('logger', () => {
  it('writes JSON lines with time, level and msg first, then fields', () => {
    const { logger, json, lines } = capture();
    logger.info('hello', { a: 1, nested: { b: 'x' } });
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.endsWith('\n'));
    assert.deepEqual(json()[0], {
      time: '2025-01-02T03:04:05.678Z',
      level: 'info',
      msg: 'hello',
      a: 1,
      nested: { b: 'x' },
    });
    assert.deepEqual(Object.keys(json()[0]).slice(0, 3), ['time', 'level', 'msg']);
  });

  it('filters by level; silent writes nothing', () => {
    const warn = capture({ level: 'warn' });
    warn.logger.debug('d');
    warn.logger.info('i');
    warn.logger.warn('w');
    warn.logger.error('e');
    assert.deepEqual(
      warn.json().map((l) => l.level),
      ['warn', 'error'],
    );
    const silent = capture({ level: 'silent' });
    silent.logger.error('nothing');
    assert.equal(silent.lines.length, 0);
    assert.throws(() => createLogger({ level: 'loud' as 'info' }), /unknown log level/);
  });

  it('child loggers add fields; reserved keys cannot overwrite the line', () => {
    const { logger, json } = capture();
    const child = logger.child({ component: 'admin', a: 1 }).child({ a: 2 });
    child.info('x', { level: 'fake', time: 'fake', msg: 'fake' });
    const line = json()[0];
    assert.equal(line.level, 'info');
    assert.equal(line.msg, 'x');
    assert.equal(line.component, 'admin');
    assert.equal(line.a, 2);
    assert.equal(line.field_level, 'fake');
  });

  it('text format is one readable line with quoted values where needed', () => {
    const { logger, text } = capture({ format: 'text' });
    logger.warn('upstream down', { endpoint: 'gpu-1', reason: 'connect refused', n: 3 });
    assert.equal(
      text(),
      '2025-01-02T03:04:05.678Z WARN  upstream down endpoint=gpu-1 reason="connect refused" n=3\n',
    );
  });

  it('serialises errors, cycles, bigints and deep objects without throwing', () => {
    const { logger, json } = capture();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 50; i++) {
      deep.next = {};
      deep = deep.next as Record<string, unknown>;
    }
    const err = Object.assign(new Error('boom'), { code: 'ECONNRESET' });
    logger.error('bad', { err, cyclic, big: 10n, root, fn: () => 1 });
    const line = json()[0];
    assert.equal(line.err.message, 'boom');
    assert.equal(line.err.code, 'ECONNRESET');
    assert.match(line.err.stack, /boom/);
    assert.equal(line.cyclic.self, '[Circular]');
    assert.equal(line.big, '10');
    assert.equal(line.fn, undefined);
    assert.match(JSON.stringify(line.root), /\[Truncated\]/);
  });

  it('never throws when the sink throws, and counts the dropped lines', () => {
    const logger = createLogger(
      {},
      {
        write: () => {
          throw new Error('EPIPE');
        },
      },
    );
    assert.doesNotThrow(() => logger.child({ a: 1 }).error('x'));
    assert.equal(logger.dropped, 1);
  });

  it('redacts canary secrets in fields, nested fields, messages, errors and URLs', () => {
    const { logger, text, json } = capture({ secrets: [CANARIES.adminToken] });
    logger.info(`calling upstream with Authorization: Bearer ${CANARIES.openaiKey}`, {
      headers: { Authorization: `Bearer ${CANARIES.openaiKey}`, Cookie: CANARIES.cookie, accept: 'json' },
      config: { endpoints: [{ name: 'e', apiKey: CANARIES.openaiKey, api_key: CANARIES.openaiKey }] },
      user: { password: CANARIES.password, PASSWORD: CANARIES.password, 'x-api-key': CANARIES.openaiKey },
      note: `token was ${CANARIES.adminToken} and jwt ${CANARIES.jwt} and gh ${CANARIES.github}`,
      url: `https://bob:${CANARIES.urlPassword}@example.com/v1?api_key=${CANARIES.openaiKey}&x=1`,
      err: new Error(`upstream said invalid key ${CANARIES.openaiKey}`),
      client_secret: { nested: 'object under a secret key' },
      accessToken: 12345678,
    });
    logger.child({ apiKey: CANARIES.openaiKey }).warn('retrying', { password: CANARIES.password });
    assertNoCanary(text());
    const [first, second] = json();
    assert.equal(first.headers.Authorization, REDACTED);
    assert.equal(first.headers.Cookie, REDACTED);
    assert.equal(first.headers.accept, 'json');
    assert.equal(first.config.endpoints[0].apiKey, REDACTED);
    assert.equal(first.user['x-api-key'], REDACTED);
    assert.equal(first.client_secret, REDACTED);
    assert.equal(first.accessToken, REDACTED);
    assert.match(first.msg, /Bearer sk-p…/);
    assert.match(first.url, /^https:\/\/bob:\[REDACTED\]@example\.com\/v1\?api_key=\[REDACTED\]&x=1$/);
    assert.match(first.note, /token was \[REDACTED\]/);
    assert.equal(second.apiKey, REDACTED);
    assert.equal(second.password, REDACTED);
  });

  it('addSecret on a child masks the secret in the parent and siblings too', () => {
    const { logger, text } = capture();
    const a = logger.child({ component: 'a' });
    const b = logger.child({ component: 'b' });
    a.addSecret('plain-looking-value-42');
    b.info('saw plain-looking-value-42');
    logger.warn('x', { v: 'plain-looking-value-42' });
    assert.ok(!text().includes('plain-looking-value-42'));
    assert.equal(text().split(REDACTED).length, 3);
  });

  it('keeps token counts and flags readable (no over-redaction of LLM fields)', () => {
    const { logger, json } = capture();
    logger.info('usage', { max_tokens: 256, promptTokens: 12, tokenizer: 'llama3', hasApiKey: true });
    const line = json()[0];
    assert.equal(line.max_tokens, 256);
    assert.equal(line.promptTokens, 12);
    assert.equal(line.tokenizer, 'llama3');
    assert.equal(line.hasApiKey, true);
  });
});

describe('Redactor', () => {
  it('masks credential shapes in strings, keeping a 4-char prefix only for long ones', () => {
    const r = new Redactor();
    assert.equal(maskCredential('sk-abcdefghijkl'), 'sk-a…');
    assert.equal(maskCredential('short-one'), '…');
    assert.equal(r.string('key sk-abcdefghijklmnop end'), 'key sk-a… end');
    assert.equal(r.string('Authorization: Bearer abcdefghijklmnopq'), 'Authorization: Bearer abcd…');
    assert.equal(r.string('basic question about tokens'), 'basic question about tokens');
    assert.equal(r.string('postgres://u:pw123456@db/x'), `postgres://u:${REDACTED}@db/x`);
  });

  it('masks registered literal secrets and ignores too-short ones', () => {
    const r = new Redactor(['abc', 'my-literal-secret']);
    r.addSecret(undefined);
    assert.equal(r.string('x my-literal-secret y abc'), `x ${REDACTED} y abc`);
  });
});

describe('attachRequestLog', () => {
  const event: RequestEndEvent = {
    id: 'r1',
    model: 'llama',
    path: '/v1/chat/completions',
    stream: true,
    status: 200,
    endpoint: 'gpu-1',
    attempts: 1,
    durationMs: 1234.5678,
    ttfbMs: 88.04,
    errorCode: undefined,
    clientAborted: false,
  };

  it('logs one line per request.end: info below 500, warn for 5xx', () => {
    const bus = new TelemetryBus();
    const { logger, json } = capture();
    const detach = attachRequestLog(bus, logger);
    bus.emit('request.start', { id: 'r1', model: 'llama', stream: true, path: '/v1/chat/completions' });
    bus.emit('request.end', event);
    bus.emit('request.end', {
      ...event,
      id: 'r2',
      status: 502,
      errorCode: 'upstream_error',
      ttfbMs: undefined,
    });
    detach();
    bus.emit('request.end', { ...event, id: 'r3' });
    const lines = json();
    assert.equal(lines.length, 2);
    assert.equal(lines[0].level, 'info');
    assert.equal(lines[0].id, 'r1');
    assert.equal(lines[0].durationMs, 1234.6);
    assert.equal(lines[0].endpoint, 'gpu-1');
    assert.equal(lines[1].level, 'warn');
    assert.equal(lines[1].errorCode, 'upstream_error');
    assert.ok(!('ttfbMs' in lines[1]));
  });

  it('does nothing when logging.requests is off', () => {
    const bus = new TelemetryBus();
    const { logger, lines } = capture();
    attachRequestLog(bus, logger, { requests: false });
    bus.emit('request.end', event);
    assert.equal(lines.length, 0);
  });

  it('a throwing logger cannot break the publisher', () => {
    const bus = new TelemetryBus();
    const broken = createLogger(
      {},
      {
        write: () => {
          throw new Error('disk full');
        },
      },
    );
    attachRequestLog(bus, broken);
    assert.doesNotThrow(() => bus.emit('request.end', event));
    assert.equal(broken.dropped, 1);
  });
});
