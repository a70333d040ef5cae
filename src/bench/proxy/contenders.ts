/**
 * The four ways the bench reaches the same backends: directly, through NGINX, through the minimal Node
 * proxy, and through Fulcrum. Each proxy runs in its own process(es) so its CPU and memory can be read from
 * /proc; a contender that cannot start is reported as not available rather than failing the whole run.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNginx } from '../nginx.js';
import { nodeModuleArgs, spawnChild, stderrTail, stopChild, waitForLine } from './child.js';
import { processTree } from './proc-stats.js';

/** Contender names, in the order they run. */
export const CONTENDERS = ['direct', 'nginx', 'minimal', 'fulcrum'] as const;
export type ContenderName = (typeof CONTENDERS)[number];

/** Human labels for the report. */
export const CONTENDER_LABELS: Record<ContenderName, string> = {
  direct: 'direct (no proxy)',
  nginx: 'NGINX',
  minimal: 'minimal Node proxy',
  fulcrum: 'Fulcrum (round-robin)',
};

/** A started contender. */
export interface RunningContender {
  name: ContenderName;
  /** Where the load generator sends requests: the proxy, or for `direct` the backends themselves. */
  urls: string[];
  /** The processes charged for this contender (none for `direct`). */
  pids(): number[];
  close(): Promise<void>;
}

/** Options for starting contenders. */
export interface ContenderOptions {
  backends: string[];
  /** NGINX `worker_processes`; default 'auto'. */
  nginxWorkers?: number | 'auto';
  /** Run the Node proxies under `--cpu-prof`, writing profiles into this directory; default off. */
  profileDir?: string;
  /**
   * Fulcrum's per-endpoint upstream connection cap (`endpoints[].maxConnections`); default unset, i.e.
   * Fulcrum's own default. Set through a generated config file, since `--backend` flags cannot carry it.
   */
  fulcrumMaxConnections?: number;
  /**
   * A Node script run instead of `bin/fulcrum.js`, with the same `serve …` arguments (experiments such as
   * scripts/threads-experiment.mjs); it must print `… listening on <url>`. Default: the real CLI.
   */
  fulcrumLauncher?: string;
}

/** Node flags that make a contender write a CPU profile on exit (it must exit cleanly on SIGTERM). */
function profileFlags(name: ContenderName, options: ContenderOptions): string[] {
  if (!options.profileDir) return [];
  return [
    '--cpu-prof',
    `--cpu-prof-dir=${options.profileDir}`,
    `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`,
  ];
}

/** The repository root: the nearest directory above this file with a package.json (works from dist/ too). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
const root = findRoot();

/** Starts one contender, or throws with the reason it is not available. */
export async function startContender(
  name: ContenderName,
  options: ContenderOptions,
): Promise<RunningContender> {
  switch (name) {
    case 'direct':
      return { name, urls: options.backends, pids: () => [], close: async () => {} };
    case 'nginx': {
      const nginx = await startNginx({
        upstreams: options.backends,
        method: 'round-robin',
        workers: options.nginxWorkers ?? 'auto',
      });
      return { name, urls: [nginx.url], pids: () => nginx.pids(), close: () => nginx.close() };
    }
    case 'minimal': {
      const script = new URL(
        `./minimal-proxy${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
        import.meta.url,
      );
      // V8's default heap settings, as Fulcrum runs with (bin/fulcrum.js), so the two Node proxies differ
      // only in what they do per request.
      const args = [...profileFlags(name, options), ...nodeModuleArgs(script.href), '0', ...options.backends];
      const child = spawnChild(process.execPath, args);
      const match = await waitForLine(child, /listening on (http:\/\/\S+)/, { stderr: stderrTail(child) });
      return {
        name,
        urls: [match[1]!],
        pids: () => processTree(child.pid!),
        close: () => stopChild(child),
      };
    }
    case 'fulcrum':
      return startFulcrum(options);
  }
}

/** The command that runs `fulcrum serve`: the compiled CLI (`npm run build` first). */
export function fulcrumCommand(): { bin: string; built: boolean } {
  return { bin: join(root, 'bin/fulcrum.js'), built: existsSync(join(root, 'dist/src/cli/serve.js')) };
}

async function startFulcrum(options: ContenderOptions): Promise<RunningContender> {
  const { bin, built } = fulcrumCommand();
  if (!built) throw new Error('dist/ is missing: run `npm run build` first');
  const args = [...profileFlags('fulcrum', options), options.fulcrumLauncher ?? bin, 'serve'];
  if (options.fulcrumMaxConnections === undefined) {
    args.push(...options.backends.flatMap((b) => ['--backend', b]));
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'fulcrum-bench-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const endpoints = options.backends.map(
      (url, i) =>
        `  - name: backend-${i + 1}\n    url: ${url}\n    maxConnections: ${options.fulcrumMaxConnections}`,
    );
    writeFileSync(join(dir, 'fulcrum.yaml'), `endpoints:\n${endpoints.join('\n')}\n`);
    args.push('--config', join(dir, 'fulcrum.yaml'));
  }
  args.push('--strategy', 'round-robin', '--port', '0', '--host', '127.0.0.1', '--admin-port', '0');
  const child = spawnChild(process.execPath, args, { cwd: root });
  const stderr = stderrTail(child);
  // The admin listener may announce itself too; the data plane is the line that does not say "admin".
  const match = await waitForLine(child, /^(?!.*admin).*listening on (http:\/\/\S+)/i, { stderr });
  return {
    name: 'fulcrum',
    urls: [match[1]!.replace(/\/$/, '')],
    pids: () => processTree(child.pid!),
    // Fulcrum drains for up to its 30 s grace even when idle; a second SIGTERM ends it at once.
    close: () => stopChild(child, 'SIGTERM', 2000),
  };
}
