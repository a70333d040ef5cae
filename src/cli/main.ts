/**
 * `fulcrum` command dispatch. Each sub-command lives in its own module exporting `run(argv) → exit code`,
 * loaded lazily so that `fulcrum sim` does not pay for the bench's imports and vice versa.
 */

interface Command {
  summary: string;
  load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

const commands: Record<string, Command> = {
  serve: {
    summary: 'run the load balancer (no config: a demo on simulated backends)',
    load: () => import('./serve.js'),
  },
  validate: { summary: 'check a config file without starting anything', load: () => import('./validate.js') },
  sim: { summary: 'run a simulated OpenAI-compatible LLM server', load: () => import('./sim.js') },
  bench: {
    summary: 'replay traces, compare strategies and NGINX, measure proxy overhead',
    load: () => import('./bench.js'),
  },
};

/** Top-level usage text. */
export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: fulcrum <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `fulcrum <command> --help` for the options of a command.',
  ].join('\n');
}

/** Runs the CLI; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v') {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    console.log(pkg.version);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`fulcrum: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const mod = await command.load();
  return mod.run(rest);
}
