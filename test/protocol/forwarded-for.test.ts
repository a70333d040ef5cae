/**
 * S28 — X-Forwarded-For spoofing, end to end. The client address Fulcrum uses is observable through the
 * `ip-hash` strategy: the same address always lands on the same endpoint of eight, and different addresses
 * spread. `listen.trustedProxies` is `['127.0.0.2']`; requests come either from 127.0.0.1 (an untrusted
 * client) or from 127.0.0.2 (the trusted proxy), picked by the client socket's local address.
 *
 * - Untrusted peer: forged XFF/X-Real-IP values must not move the request (all land where 127.0.0.1 lands).
 * - Trusted peer: the client is taken from the right of XFF, so the same forged values now do spread, and the
 *   endpoint is the one of the rightmost address (entries left of it are not believed).
 * - Upstream `X-Forwarded-For` is always the client's value with the socket peer appended; the client's
 *   `X-Real-IP` and `Forwarded` are dropped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Agent, request } from 'undici';
import { type Cluster, chat, startCluster } from '../support/cluster.js';
import { assertHealthy } from './support.js';

const TRUSTED_PROXY = '127.0.0.2';
/** 40 distinct forged client addresses (deterministic, so the spread is too). */
const FORGED = Array.from({ length: 40 }, (_, i) => `198.51.${i}.${(i * 37) % 250}`);

describe('S28 X-Forwarded-For', () => {
  let c: Cluster;
  const fromProxy = new Agent({ localAddress: TRUSTED_PROXY });
  const direct = new Agent();
  before(async () => {
    c = await startCluster(
      Array.from({ length: 8 }, () => ({})),
      { strategy: { name: 'ip-hash' }, listen: { trustedProxies: [TRUSTED_PROXY] } },
    );
  });
  after(async () => {
    await c.close();
    await Promise.all([fromProxy.close(), direct.close()]);
  });

  /** Sends one chat request and returns the endpoint that served it and what that endpoint received. */
  async function send(via: Agent, headers: Record<string, string>) {
    const id = `xff-${Math.random().toString(36).slice(2)}`;
    const res = await request(c.chatUrl, {
      method: 'POST',
      dispatcher: via,
      headers: { 'content-type': 'application/json', 'x-request-id': id, ...headers },
      body: JSON.stringify(chat()),
    });
    await res.body.text();
    assert.equal(res.statusCode, 200);
    const backend = String(res.headers['x-fulcrum-backend']);
    const seen = c.fakes.find((f) => f.name === backend)!.requests.find((r) => r.id === id)!;
    return { backend, upstream: seen.headers };
  }

  test('untrusted peer: forged X-Forwarded-For / X-Real-IP do not move the client', async () => {
    const own = (await send(direct, {})).backend;
    const backends = new Set<string>();
    for (const ip of FORGED) {
      const r = await send(direct, {
        'x-forwarded-for': `${ip}, 10.0.0.1`,
        'x-real-ip': ip,
        forwarded: `for=${ip}`,
      });
      backends.add(r.backend);
      assert.equal(r.upstream['x-forwarded-for'], `${ip}, 10.0.0.1, 127.0.0.1`, 'peer appended, value kept');
      assert.equal(r.upstream['x-real-ip'], undefined);
      assert.equal(r.upstream.forwarded, undefined);
    }
    assert.deepEqual([...backends], [own], 'every forged request landed where 127.0.0.1 lands');
  });

  test('trusted proxy: the client is the rightmost untrusted XFF entry', async () => {
    const byIp = new Map<string, string>();
    for (const ip of FORGED) {
      const r = await send(fromProxy, { 'x-forwarded-for': ip });
      byIp.set(ip, r.backend);
      assert.equal(r.upstream['x-forwarded-for'], `${ip}, ${TRUSTED_PROXY}`);
    }
    // Seeing eight endpoints at once from one address is impossible; 40 addresses spread over most of them.
    assert.ok(new Set(byIp.values()).size >= 4, `spread over ${new Set(byIp.values()).size} endpoints`);

    // Pairs of addresses that map to different endpoints tell which entry was used.
    const [a, b] = pairOnDifferentEndpoints(byIp);
    assert.equal(
      (await send(fromProxy, { 'x-forwarded-for': `${a}, ${b}` })).backend,
      byIp.get(b),
      'rightmost',
    );
    assert.equal(
      (await send(fromProxy, { 'x-forwarded-for': `${b}, ${a}` })).backend,
      byIp.get(a),
      'rightmost',
    );
    // A trusted hop inside the chain is skipped; the next address to its left is the client.
    const chained = await send(fromProxy, { 'x-forwarded-for': `${b}, ${a}, ${TRUSTED_PROXY}` });
    assert.equal(chained.backend, byIp.get(a));
    // X-Real-IP is not a source of client addresses, even from a trusted proxy.
    const split = await send(fromProxy, { 'x-forwarded-for': b, 'x-real-ip': a });
    assert.equal(split.backend, byIp.get(b), 'X-Real-IP is never believed');
  });

  test('trusted proxy naming 127.0.0.1 lands where direct 127.0.0.1 clients land', async () => {
    const own = (await send(direct, {})).backend;
    assert.equal((await send(fromProxy, { 'x-forwarded-for': '127.0.0.1' })).backend, own);
    // Garbage at the right end: the last address that could be verified (the proxy itself) is the client.
    const proxySelf = (await send(fromProxy, {})).backend;
    assert.equal((await send(fromProxy, { 'x-forwarded-for': '203.0.113.5, not-an-ip' })).backend, proxySelf);
  });

  test('post-conditions', async () => {
    await assertHealthy(c);
  });
});

function pairOnDifferentEndpoints(byIp: Map<string, string>): [string, string] {
  const entries = [...byIp];
  const [a, ea] = entries[0]!;
  const other = entries.find(([, e]) => e !== ea);
  assert.ok(other, 'at least two endpoints used');
  return [a, other[0]];
}
