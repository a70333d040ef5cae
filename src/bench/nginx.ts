/**
 * Starts a private NGINX as a comparison contender: the machine's own nginx binary, a generated config in a
 * fresh temp dir (so it runs as any user and never touches /var), configured the way one would front LLM
 * servers: upstream keep-alive, no buffering in either direction, no caching, no compression, long read
 * timeouts. Used by the proxy-overhead bench and the strategy comparison.
 */
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { DEFAULT_LISTEN_BACKLOG } from '../server/listen-backlog.js';
import { exited, spawnChild, stderrTail, stopChild } from './proxy/child.js';
import { processTree } from './proxy/proc-stats.js';

/** NGINX's balancing methods we compare against. */
export type NginxMethod = 'round-robin' | 'least_conn' | 'ip_hash';

/** Options for {@link startNginx}. */
export interface NginxOptions {
  /** Backend base URLs (`http://host:port`); paths are ignored. */
  upstreams: string[];
  /** Upstream selection: `round-robin` is NGINX's default, the others are its directives of that name. */
  method: NginxMethod;
  /** `worker_processes`; default `'auto'` (one per core). */
  workers?: number | 'auto';
  /** Port on 127.0.0.1; default: a free one, chosen with retries. */
  port?: number;
  /** How long to wait for the port to accept connections; default 10 s. */
  startTimeoutMs?: number;
}

/** A running NGINX. */
export interface NginxHandle {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** The master's pid. */
  pid: number;
  /** The temp dir holding nginx.conf and error.log (removed by close()). */
  dir: string;
  /** Master and workers: the processes to charge CPU and memory to. */
  pids(): number[];
  /** Graceful stop (SIGQUIT), SIGKILL after 5 s; removes the temp dir. Idempotent. */
  close(): Promise<void>;
}

/** Finds the nginx binary: `nginx` on PATH, else /usr/sbin/nginx. Throws an actionable error if absent. */
export function findNginx(): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    const candidate = join(dir, 'nginx');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  throw new Error(
    'nginx not found on PATH or in /usr/sbin; install it (Debian/Ubuntu: apt-get install nginx)',
  );
}

/** Whether an nginx binary is available. */
export function hasNginx(): boolean {
  try {
    findNginx();
    return true;
  } catch {
    return false;
  }
}

/** Renders the nginx.conf for `options`, with every writable path under `dir`. */
export function nginxConfig(dir: string, port: number, options: NginxOptions): string {
  if (options.upstreams.length === 0) throw new Error('startNginx: at least one upstream is required');
  const servers = options.upstreams.map((u) => `    server ${new URL(u).host} max_fails=0;`).join('\n');
  const method = options.method === 'round-robin' ? '' : `    ${options.method};\n`;
  // Workers run as the master's user only when started as root; otherwise nginx warns and ignores `user`.
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `${user}daemon off;
master_process on;
worker_processes ${options.workers ?? 'auto'};
worker_rlimit_nofile 65536;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;

events {
  worker_connections 20000;
  multi_accept on;
}

http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_max_body_size 16m;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  gzip off;

  upstream backends {
${method}${servers}
    keepalive 256;
    keepalive_requests 1000000;
  }

  server {
    listen 127.0.0.1:${port} backlog=${DEFAULT_LISTEN_BACKLOG};
    location / {
      proxy_pass http://backends;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_cache off;
      proxy_read_timeout 3600s;
      proxy_send_timeout 3600s;
    }
  }
}
`;
}

/** A port that was free a moment ago on 127.0.0.1 (it may be taken again before use: callers retry). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves true once something accepts TCP connections on 127.0.0.1:`port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts NGINX in front of `options.upstreams` and resolves once it accepts connections. Picks a free port
 * and retries on EADDRINUSE unless `options.port` is given. NGINX is killed if this process exits.
 */
export async function startNginx(options: NginxOptions): Promise<NginxHandle> {
  const binary = findNginx();
  const attempts = options.port === undefined ? 5 : 1;
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await startOnce(binary, port, options);
    } catch (err) {
      lastError = err as Error;
      if (!/Address already in use/.test(lastError.message)) throw lastError;
    }
  }
  throw lastError ?? new Error('startNginx failed');
}

async function startOnce(binary: string, port: number, options: NginxOptions): Promise<NginxHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-nginx-'));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig(dir, port, options));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  // `-e` (nginx ≥ 1.19.5) keeps even start-up errors out of the system-wide /var/log/nginx/error.log.
  const child = spawnChild(binary, ['-p', `${dir}/`, '-c', conf, '-e', join(dir, 'error.log')]);
  const stderr = stderrTail(child);
  const errorLog = () => {
    try {
      return readFileSync(join(dir, 'error.log'), 'utf8').trim();
    } catch {
      return '';
    }
  };
  process.once('exit', removeDir);

  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  let dead = false;
  void exited(child).then(() => {
    dead = true;
  });
  while (!(await accepts(port))) {
    if (dead || Date.now() > deadline) {
      const why = dead
        ? `exited with ${child.signalCode ?? child.exitCode}`
        : 'did not accept connections in time';
      const detail = [stderr(), errorLog()].filter(Boolean).join('\n');
      await stopChild(child, 'SIGKILL');
      removeDir();
      process.removeListener('exit', removeDir);
      throw new Error(`nginx ${why} (port ${port})${detail ? `:\n${detail}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }

  const pid = child.pid!;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid,
    dir,
    pids: () => (dead ? [] : processTree(pid)),
    close: () => {
      closing ??= (async () => {
        // SIGQUIT is NGINX's graceful shutdown: workers finish in-flight requests, then exit.
        await stopChild(child, 'SIGQUIT', 5000);
        removeDir();
        process.removeListener('exit', removeDir);
      })();
      return closing;
    },
  };
}
