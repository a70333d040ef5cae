/**
 * What the diagnostic scripts share (gc-promotion.mjs, stream-heap.mjs): the bench's backends and the two
 * Node proxies, started from the compiled tree (`npm run build` first) the way the bench starts them.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root: every path below is relative to it. */
export const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Spawns `node args` in the repository root and resolves with the child once a stdout line matches
 * `ready`; every line also goes to `onLine`.
 */
export function startNode(args, ready, onLine = () => {}) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buffer = '';
    let matched;
    child.stdout.on('data', (b) => {
      buffer += b;
      let nl = buffer.indexOf('\n');
      while (nl !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        onLine(line);
        if (!matched && ready.test(line)) {
          matched = line.match(ready);
          resolve({ child, match: matched });
        }
        nl = buffer.indexOf('\n');
      }
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before ready`)));
  });
}

/** Starts the bench's three backends (src/bench/proxy/backend.ts) with `args`; resolves with their URLs. */
export async function startBackends(args = []) {
  const { child, match } = await startNode(
    ['dist/src/bench/proxy/backend.js', '--count', '3', ...args],
    /^backends ready (.*)$/,
  );
  return { child, urls: match[1].trim().split(' ') };
}

/**
 * Starts Fulcrum (round-robin) or the minimal proxy in front of `urls`, with `nodeFlags` for node itself;
 * resolves with the child, its URL, and `onLine` hearing its stdout. `FULCRUM_LAUNCHER=FILE` runs that
 * script instead of bin/fulcrum.js, as the bench's `--fulcrum-launcher` does.
 */
export async function startProxy(which, urls, nodeFlags = [], onLine = () => {}) {
  const args =
    which === 'fulcrum'
      ? [
          ...nodeFlags,
          // An experiment's launcher (e.g. scripts/raw-server-experiment.mjs) takes the same arguments.
          process.env.FULCRUM_LAUNCHER ?? 'bin/fulcrum.js',
          'serve',
          '--strategy',
          'round-robin',
          '--host',
          '127.0.0.1',
          '--port',
          '0',
          '--admin-port',
          '0',
          ...urls.flatMap((u) => ['--backend', u]),
        ]
      : [...nodeFlags, 'dist/src/bench/proxy/minimal-proxy.js', '0', ...urls];
  // Fulcrum also announces its admin listener; the data plane's line is the one that does not say "admin".
  const { child, match } = await startNode(args, /^(?!.*admin).*listening on (http:\/\/\S+)/i, onLine);
  return { child, url: match[1] };
}
