/**
 * startNginx against real Node backends on port 0: round robin spreads, SSE passes through unbuffered,
 * ip_hash sticks, and close() leaves no process or temp dir behind. Without nginx installed the suite is
 * skipped with a loud message, except under CI, where a missing nginx is a failure.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { hasNginx, nginxConfig, startNginx } from '../../src/bench/nginx.js';
import { waitFor } from '../support/http.js';

const available = hasNginx();
if (!available) {
  const message = 'nginx is not installed: the NGINX launcher tests are SKIPPED (apt-get install nginx)';
  if (process.env.CI) throw new Error(message);
  console.error(`\n!!! ${message} !!!\n`);
}

/** Backend `index` answers its index; `/stream` sends 5 chunks 150 ms apart. */
function backend(index: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let n = 0;
      const timer = setInterval(() => {
        res.write(`data: ${n++}\n\n`);
        if (n === 5) {
          clearInterval(timer);
          res.end();
        }
      }, 150);
      res.on('close', () => clearInterval(timer));
      return;
    }
    res.end(String(index));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function hits(url: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await request(`${url}/`);
    assert.equal(res.statusCode, 200);
    out.push(Number(await res.body.text()));
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startNginx', { skip: !available }, () => {
  let servers: Server[] = [];
  let upstreams: string[] = [];

  before(async () => {
    servers = await Promise.all([0, 1, 2].map(backend));
    upstreams = servers.map((s) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`);
  });
  after(() => {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });

  test('round robin visits every backend in turn', async () => {
    // One worker: NGINX keeps round-robin state per worker, so only then is the order exact.
    const nginx = await startNginx({ upstreams, method: 'round-robin', workers: 1 });
    try {
      const seen = await hits(nginx.url, 30);
      const counts = [0, 1, 2].map((i) => seen.filter((s) => s === i).length);
      assert.deepEqual(counts, [10, 10, 10]);
    } finally {
      await nginx.close();
    }
  });

  test('streams pass through unbuffered', async () => {
    const nginx = await startNginx({ upstreams, method: 'round-robin' });
    try {
      const res = await request(`${nginx.url}/stream`);
      assert.equal(res.statusCode, 200);
      const arrivals: number[] = [];
      let text = '';
      for await (const chunk of res.body) {
        arrivals.push(performance.now());
        text += chunk.toString();
      }
      assert.equal(text, [0, 1, 2, 3, 4].map((n) => `data: ${n}\n\n`).join(''));
      // The backend spends 600 ms between its first and last chunk; a buffering proxy would deliver them
      // together at the end.
      assert.ok(arrivals.length >= 3, `only ${arrivals.length} reads: chunks were coalesced`);
      const spread = arrivals.at(-1)! - arrivals[0]!;
      assert.ok(spread > 400, `chunks arrived within ${spread.toFixed(0)} ms of each other`);
    } finally {
      await nginx.close();
    }
  });

  test('ip_hash sends one client to one backend', async () => {
    const nginx = await startNginx({ upstreams, method: 'ip_hash' });
    try {
      const seen = new Set(await hits(nginx.url, 12));
      assert.equal(seen.size, 1);
    } finally {
      await nginx.close();
    }
  });

  test('close() stops master and workers and removes the temp dir', async () => {
    const nginx = await startNginx({ upstreams, method: 'least_conn', workers: 2 });
    let pids: number[];
    try {
      // startNginx resolves once the master accepts connections; it forks the workers after opening the
      // socket, so on a loaded machine they can appear a moment later (seen: only the master listed).
      await waitFor(() => nginx.pids().length >= 3, 5_000, 'the two workers');
      pids = nginx.pids();
      assert.equal(pids.length, 3, `expected master + 2 workers, got ${pids.join(',')}`);
      assert.ok(existsSync(`${nginx.dir}/nginx.conf`));
    } finally {
      // Also on failure: a running NGINX child keeps this test process (and the whole suite) from exiting.
      await nginx.close();
    }
    assert.equal(existsSync(nginx.dir), false, 'temp dir left behind');
    for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} survived close()`);
    await assert.rejects(request(`${nginx.url}/`));
  });
});

describe('nginxConfig', () => {
  test('keeps upstream connections alive and never buffers', () => {
    const conf = nginxConfig('/tmp/x', 8080, { upstreams: ['http://127.0.0.1:1'], method: 'least_conn' });
    for (const line of [
      'keepalive 256;',
      'least_conn;',
      'server 127.0.0.1:1 max_fails=0;',
      'proxy_http_version 1.1;',
      'proxy_set_header Connection "";',
      'proxy_buffering off;',
      'proxy_request_buffering off;',
      'proxy_cache off;',
      'gzip off;',
      'listen 127.0.0.1:8080 backlog=4096;',
      'client_body_temp_path /tmp/x/client_body;',
    ]) {
      assert.ok(conf.includes(line), `missing: ${line}`);
    }
    assert.ok(!/\/var\//.test(conf), 'config must not point into /var');
  });

  test('rejects an empty upstream list', () => {
    assert.throws(() => nginxConfig('/tmp/x', 1, { upstreams: [], method: 'round-robin' }), /at least one/);
  });
});
