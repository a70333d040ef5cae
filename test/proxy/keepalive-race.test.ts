/**
 * S19: keep-alive race on pooled upstream sockets. The backend closes idle connections after 1 s (Node's
 * server sends `Keep-Alive: timeout=1`); requests arrive 0.9–1.1 s apart on each client, right where a pool
 * that ignored the hint would reuse a socket the server is closing. undici honours the hint (minus its
 * 2 s safety threshold, so such short-lived sockets are not reused at all), so no request may fail and none
 * may reach the backend twice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seededRandom } from '../../src/core/prng.js';
import { type Cluster, chat, startCluster } from '../support/cluster.js';
import { postJson, sleep } from '../support/http.js';

describe('S19 keep-alive race', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster([{}]);
    c.fakes[0]!.server.keepAliveTimeout = 1_000;
  });
  after(() => c.close());

  test('no client-visible error and no duplicated request when the backend keep-alive is 1 s', async () => {
    const random = seededRandom(19);
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async (_, client) => {
        for (let i = 0; i < 5; i++) {
          const res = await postJson(c.chatUrl, chat(), { 'x-request-id': `s19-${client}-${i}` });
          statuses.push(res.status);
          await sleep(900 + random() * 200);
        }
      }),
    );
    assert.equal(statuses.length, 100);
    assert.ok(
      statuses.every((s) => s === 200),
      `statuses: ${[...new Set(statuses)]}`,
    );
    const ids = c.fakes[0]!.requests.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, 'no request reached the backend twice');
  });
});
