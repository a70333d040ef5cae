/**
 * `https:` endpoints (hosted OpenAI-compatible APIs) go through undici, which brings TLS; `http:` ones through
 * Fulcrum's own client. This runs `fulcrum serve` against a local TLS server whose test certificate the child
 * trusts through NODE_EXTRA_CA_CERTS: plain and streamed answers relay, and the endpoint's API key replaces
 * the client's. Without the trust, the same endpoint fails as a connect error (the TLS handshake refused it),
 * never as an answer.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startCliServe } from '../support/cli-process.js';
import { postJson } from '../support/http.js';

const certPath = fileURLToPath(new URL('../fixtures/tls/cert.pem', import.meta.url));
const keyPath = fileURLToPath(new URL('../fixtures/tls/key.pem', import.meta.url));

async function tlsEndpoint() {
  const auth: string[] = [];
  const server = https.createServer(
    { cert: readFileSync(certPath), key: readFileSync(keyPath) },
    (req, res) => {
      if (req.url === '/v1/models') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'tls-model', object: 'model' }] }));
        return;
      }
      // Fulcrum's active health probe: its first one comes at a random point of the interval, so it may
      // land during a test (it has no body to parse).
      if (req.method === 'GET') {
        res.end('ok');
        return;
      }
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        auth.push(String(req.headers.authorization));
        if (JSON.parse(body).stream) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('data: {"choices":[{"delta":{"content":"hi"}}]}\n\n');
          res.end('data: [DONE]\n\n');
          return;
        }
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({ object: 'chat.completion', choices: [{ message: { content: 'over tls' } }] }),
        );
      });
    },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, auth, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** `fulcrum serve` on port 0 with one endpoint from a config file. */
function serve(url: string, extra: string, env: Record<string, string> = {}) {
  const file = join(tmpdir(), `fulcrum-https-${process.pid}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, `endpoints:\n  - name: tls\n    url: ${url}\n    models: [tls-model]\n${extra}`);
  return startCliServe(
    ['--config', file, '--port', '0', '--host', '127.0.0.1', '--admin-port', '0'],
    15_000,
    env,
  );
}

describe('https endpoints', () => {
  test('relay plain and streamed answers over TLS, with the endpoint key', async () => {
    const tls = await tlsEndpoint();
    const cli = await serve(tls.url, '    apiKey: sk-endpoint\n', { NODE_EXTRA_CA_CERTS: certPath });
    try {
      const chat = { model: 'tls-model', messages: [{ role: 'user', content: 'x' }] };
      const plain = await postJson(`${cli.url}/v1/chat/completions`, chat, {
        authorization: 'Bearer client',
      });
      assert.equal(plain.status, 200, plain.text);
      assert.equal(
        (plain.json as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content,
        'over tls',
      );
      const streamed = await postJson(`${cli.url}/v1/chat/completions`, { ...chat, stream: true });
      assert.equal(streamed.status, 200, streamed.text);
      assert.match(streamed.text, /"content":"hi"[\s\S]*data: \[DONE\]/);
      assert.deepEqual(tls.auth, ['Bearer sk-endpoint', 'Bearer sk-endpoint']);
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
      tls.server.close();
    }
  });

  test('an untrusted certificate is a connect failure, not an answer', async () => {
    const tls = await tlsEndpoint();
    const cli = await serve(tls.url, '');
    try {
      const res = await postJson(`${cli.url}/v1/chat/completions`, {
        model: 'tls-model',
        messages: [{ role: 'user', content: 'x' }],
      });
      assert.equal(res.status, 502, res.text);
      assert.equal((res.json as { error: { code: string } }).error.code, 'upstream_connect_error');
      assert.deepEqual(tls.auth, [], 'no request reached the endpoint');
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
      tls.server.close();
    }
  });
});
