/**
 * writeEvent: stream events written as chunked frames straight to the socket. The bytes on the wire must be
 * exactly what Node's own `res.write` would send, in order, and the bypass must really be taken once the
 * head has left (a Node upgrade that renames the internals it checks would silently turn it off).
 */
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { writeEvent } from '../../src/bench/proxy/fast-write.js';

/** Serves one response with `respond`, fetches it over a raw socket, returns the raw bytes. */
async function rawResponse(respond: (res: ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    respond(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    const socket = net.connect(port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const parts: Buffer[] = [];
    socket.on('data', (b: Buffer) => parts.push(b));
    await new Promise((r) => socket.on('close', r));
    return Buffer.concat(parts).toString('latin1');
  } finally {
    server.close();
  }
}

test('events are framed exactly as res.write frames them, head first, in order', async () => {
  const events = ['data: a\n\n', `data: ${'x'.repeat(300)}\n\n`, 'data: [DONE]\n\n'];
  const viaNode = await rawResponse((res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', date: 'fixed' });
    for (const e of events) res.write(e);
    res.end();
  });
  const viaWriteEvent = await rawResponse((res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', date: 'fixed' });
    for (const e of events) writeEvent(res, Buffer.from(e));
    res.end();
  });
  assert.equal(viaWriteEvent, viaNode);
  assert.match(
    viaWriteEvent,
    /\r\n\r\n9\r\ndata: a\n\n\r\n134\r\ndata: x{300}\n\n\r\ne\r\ndata: \[DONE\]\n\n\r\n0\r\n\r\n$/,
  );
});

test('before the head has left it uses res.write; after, it writes to the socket directly', async () => {
  let viaRes = 0;
  await rawResponse((res) => {
    const write = res.write.bind(res) as (chunk: Buffer) => boolean;
    res.write = ((chunk: Buffer) => {
      viaRes++;
      return write(chunk);
    }) as typeof res.write;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    writeEvent(res, Buffer.from('data: 0\n\n'));
    assert.equal(viaRes, 1, 'the first event carries the head through Node');
    for (let i = 1; i < 5; i++) writeEvent(res, Buffer.from(`data: ${i}\n\n`));
    assert.equal(viaRes, 1, 'later events bypass res.write');
    res.end();
  });
});
