/**
 * `fulcrum bench` — replay traces against one target (`run`), compare strategies and NGINX on a simulated
 * cluster (`compare`), or measure proxy overhead (`proxy`).
 */

const USAGE = `Usage: fulcrum bench <run|compare|proxy> [options]

  run       replay a trace or synthetic workload against one URL (fulcrum bench run --help)
  compare   run every contender of a plan on a fresh simulated cluster (fulcrum bench compare PLAN.yaml)
  proxy     measure the proxy overhead of Fulcrum against NGINX (fulcrum bench proxy --help)`;

/** Runs `fulcrum bench …`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    switch (sub) {
      case 'run': {
        const { runCommand } = await import('../bench/commands/run-command.js');
        return await runCommand(rest);
      }
      case 'compare': {
        const { compareCommand } = await import('../bench/commands/compare-command.js');
        return await compareCommand(rest);
      }
      case 'proxy': {
        const { runProxyBench } = await import('../bench/proxy/index.js');
        return await runProxyBench(rest);
      }
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        console.log(USAGE);
        return sub === undefined ? 1 : 0;
      default:
        console.error(`fulcrum bench: unknown sub-command "${sub}"\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    console.error(`fulcrum bench ${sub}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
