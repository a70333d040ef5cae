#!/usr/bin/env node
/**
 * How much JavaScript heap does one open SSE stream hold in a proxy? Starts the bench backends with slow
 * streams (one event a second), runs Fulcrum (or the minimal proxy) with `--heapsnapshot-signal`, opens
 * `warm` streams and takes a heap snapshot, opens `streams` more and takes another, and prints the heap
 * difference per added stream, by object kind. Unlike a timing, this figure does not move with the machine:
 * it is what every scavenge has to copy for each new stream, and what 5,000 open streams add to the heap
 * (docs/benchmarks.md, run 12).
 *
 *   npm run build && node scripts/stream-heap.mjs [fulcrum|minimal] [streams=1000] [warm=50]
 *
 * With `STREAM_HEAP_SHAPES=1` the kinds are finer: a plain object or a function context by its property
 * (or variable) names, a closure by its name and an array by what holds it — which is what tells one
 * stream's objects apart when most of them are "Object".
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBackends, startProxy } from './proxies.mjs';

const [which = 'fulcrum', streamsArg = '1000', warmArg = '50'] = process.argv.slice(2);
const streams = Number(streamsArg);
const warm = Number(warmArg);
if (!['fulcrum', 'minimal'].includes(which) || !(streams > 0) || !(warm >= 0)) {
  console.error('usage: node scripts/stream-heap.mjs [fulcrum|minimal] [streams] [warm]');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'fulcrum-stream-heap-'));
const children = [];
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

// 120 events, one second apart: every stream stays open for the whole measurement.
const backends = await startBackends(['--chunks', '120', '--interval-ms', '1000']);
children.push(backends.child);
const proxy = await startProxy(which, backends.urls, [
  '--heapsnapshot-signal=SIGUSR2',
  `--diagnostic-dir=${dir}`,
]);
children.push(proxy.child);
const target = new URL(proxy.url);

const body = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'hi' }], stream: true });
const request =
  `POST /v1/chat/completions HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\n` +
  `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const open = [];

/** Opens `n` streams, 100 at a time, and resolves once each has received its first bytes. */
async function openStreams(n) {
  for (let started = 0; started < n; started += 100) {
    const batch = Math.min(100, n - started);
    await Promise.all(
      Array.from(
        { length: batch },
        () =>
          new Promise((resolve, reject) => {
            const socket = net.connect(Number(target.port), target.hostname, () => socket.write(request));
            socket.once('data', () => resolve());
            socket.on('data', () => {}); // keep reading so the proxy never sees backpressure
            socket.once('error', reject);
            open.push(socket);
          }),
      ),
    );
  }
}

/** Signals a snapshot and returns its path once the file stops growing. */
async function snapshot() {
  const before = new Set(readdirSync(dir));
  proxy.child.kill('SIGUSR2');
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!file) continue;
    const size = statSync(join(dir, file)).size;
    await new Promise((r) => setTimeout(r, 500));
    if (size > 0 && statSync(join(dir, file)).size === size) return join(dir, file);
  }
}

const SHAPES = process.env.STREAM_HEAP_SHAPES === '1';

/** Self size and count per object kind (strings, arrays and code grouped by type). */
function summarize(file) {
  const s = JSON.parse(readFileSync(file, 'utf8'));
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const shapes = SHAPES ? shapeNames(s) : undefined;
  const kinds = new Map();
  let total = 0;
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType]];
    const name =
      shapes?.get(i / width) ??
      (['object', 'closure', 'native'].includes(type)
        ? `${type} ${s.strings[s.nodes[i + iName]]}`.slice(0, 60)
        : `(${type})`);
    const size = s.nodes[i + iSize];
    const k = kinds.get(name) ?? { count: 0, bytes: 0 };
    k.count += 1;
    k.bytes += size;
    kinds.set(name, k);
    total += size;
  }
  return { kinds, total };
}

/**
 * Finer names for the nodes whose kind alone says little: a plain object or a context by the names of its
 * properties or variables, an array by its first retainer and the edge that holds it.
 */
function shapeNames(s) {
  const nf = s.snapshot.meta.node_fields;
  const ef = s.snapshot.meta.edge_fields;
  const nodeTypes = s.snapshot.meta.node_types[0];
  const edgeTypes = s.snapshot.meta.edge_types[0];
  const nw = nf.length;
  const ew = ef.length;
  const [iType, iName, iEdges] = ['type', 'name', 'edge_count'].map((f) => nf.indexOf(f));
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f));
  const count = s.nodes.length / nw;
  const names = new Map();
  const heldBy = new Map();
  let e = 0;
  for (let n = 0; n < count; n++) {
    const type = nodeTypes[s.nodes[n * nw + iType]];
    const name = s.strings[s.nodes[n * nw + iName]];
    const keys = [];
    const edges = s.nodes[n * nw + iEdges];
    for (let k = 0; k < edges; k++, e += ew) {
      const et = edgeTypes[s.edges[e + eType]];
      const to = s.edges[e + eTo] / nw;
      const label =
        et === 'element' || et === 'hidden' ? `[${s.edges[e + eName]}]` : s.strings[s.edges[e + eName]];
      if ((et === 'property' || et === 'context') && keys.length < 12) keys.push(label);
      if (!heldBy.has(to) && et !== 'weak' && et !== 'shortcut') heldBy.set(to, [n, label]);
    }
    if ((type === 'object' && name === 'Object') || name === 'system / Context') {
      names.set(n, `${type} ${name} {${keys.join(',')}}`.slice(0, 110));
    }
  }
  for (let n = 0; n < count; n++) {
    const type = nodeTypes[s.nodes[n * nw + iType]];
    const name = s.strings[s.nodes[n * nw + iName]];
    if (
      type === 'array' ||
      (type === 'object' && name === 'Array') ||
      type === 'closure' ||
      type === 'string'
    ) {
      const [by, label] = heldBy.get(n) ?? [-1, '?'];
      const holder =
        by === -1
          ? '?'
          : (names.get(by) ??
            `${nodeTypes[s.nodes[by * nw + iType]]} ${s.strings[s.nodes[by * nw + iName]]}`);
      names.set(
        n,
        `(${type}) ${type === 'closure' ? name : ''} held by ${holder.slice(0, 70)}.${label}`.slice(0, 130),
      );
    }
  }
  return names;
}

await openStreams(warm);
await new Promise((r) => setTimeout(r, 1000));
const a = summarize(await snapshot());
await openStreams(streams);
await new Promise((r) => setTimeout(r, 1000));
const b = summarize(await snapshot());

console.log(
  `${which}: heap ${(a.total / 1e6).toFixed(1)} MB with ${warm} streams open, ` +
    `${(b.total / 1e6).toFixed(1)} MB with ${warm + streams}: ${((b.total - a.total) / streams).toFixed(0)} B per stream`,
);
console.log('bytes/stream  objects/stream  kind');
const rows = [...b.kinds].map(([name, k]) => {
  const old = a.kinds.get(name) ?? { count: 0, bytes: 0 };
  return { name, bytes: (k.bytes - old.bytes) / streams, count: (k.count - old.count) / streams };
});
for (const r of rows.sort((x, y) => y.bytes - x.bytes).slice(0, SHAPES ? 60 : 25)) {
  console.log(`${r.bytes.toFixed(0).padStart(12)}  ${r.count.toFixed(2).padStart(14)}  ${r.name}`);
}
for (const s of open) s.destroy();
process.exit(0);
