/**
 * The data plane's accept queue: `listen.backlog` reaches the kernel. Read back with `ss` (iproute2), which
 * reports a listening socket's maximum accept queue in its Send-Q column; the kernel caps the value at
 * `net.core.somaxconn`, so the expectations do too.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { type Cluster, startCluster } from '../support/cluster.js';

/** The listening socket's maximum accept queue on `port`, as `ss -ltn` reports it. */
function listenBacklog(port: number): number {
  const out = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' });
  // State Recv-Q Send-Q Local:Port Peer:Port — for a listener, Send-Q is the backlog.
  const fields = out.trim().split(/\s+/);
  assert.equal(fields[0], 'LISTEN', `ss output for port ${port}: ${out}`);
  return Number(fields[2]);
}

const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));

describe('listen backlog', () => {
  const clusters: Cluster[] = [];
  after(() => Promise.all(clusters.map((c) => c.close())));

  test('defaults to 4096, not Node’s 511 (capped by net.core.somaxconn)', async () => {
    const c = await startCluster([{}]);
    clusters.push(c);
    assert.equal(listenBacklog(Number(new URL(c.fulcrum.url).port)), Math.min(4096, somaxconn));
  });

  test('listen.backlog is passed to listen()', async () => {
    const c = await startCluster([{}], { listen: { backlog: 300 } });
    clusters.push(c);
    assert.equal(listenBacklog(Number(new URL(c.fulcrum.url).port)), Math.min(300, somaxconn));
  });
});
