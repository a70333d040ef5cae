/**
 * `fulcrum validate FILE…` — loads each config exactly as `serve` would (YAML, `${VAR}` substitution, schema,
 * semantic checks) and reports, without starting anything or opening a socket. Exit 0 when every file is
 * valid, 1 when one is not, 2 on a usage error. Warnings go to stderr and do not fail the check.
 */
import { ConfigError } from '../config/errors.js';
import { loadConfig } from '../config/load.js';

/** `fulcrum validate --help`. */
export const VALIDATE_HELP = [
  'Usage: fulcrum validate FILE [FILE…]',
  '',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${VAR} syntax, shown to the user
  'Checks config files without starting anything: YAML syntax, ${VAR} substitution (from the current',
  'environment), unknown keys, types and bounds, the strategy and its options, and cross-key rules.',
  'Prints "FILE: OK (N endpoints, strategy X)" per valid file; otherwise every problem with its',
  'line:column. Exit status: 0 all valid, 1 a file is invalid, 2 usage error.',
].join('\n');

/** Runs `fulcrum validate`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(VALIDATE_HELP);
    return 0;
  }
  const unknown = argv.find((a) => a.startsWith('-') && a !== '-');
  if (unknown !== undefined || argv.length === 0) {
    console.error(unknown ? `fulcrum validate: unknown option "${unknown}"\n` : '', VALIDATE_HELP);
    return 2;
  }
  let failed = false;
  for (const file of argv) {
    try {
      const warnings: string[] = [];
      const config = await loadConfig({ path: file, onWarning: (w) => warnings.push(w) });
      const n = config.endpoints.length;
      console.log(`${file}: OK (${n} endpoint${n === 1 ? '' : 's'}, strategy ${config.strategy.name})`);
      for (const w of warnings) console.error(w);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      failed = true;
      console.error(err.message);
    }
  }
  return failed ? 1 : 0;
}
