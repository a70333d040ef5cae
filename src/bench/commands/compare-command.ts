/** `fulcrum bench compare PLAN.yaml [--out DIR] [--quiet]`: runs a plan and prints the comparison table. */
import { parseArgs } from 'node:util';
import { runCompare } from '../compare.js';
import { loadPlan } from '../plan.js';
import { comparisonTable } from '../report/markdown.js';
import { folderOf } from '../workloads/index.js';
import { writeReport } from './output.js';
import { abortOnSignals } from './signals.js';

export const COMPARE_USAGE = `Usage: fulcrum bench compare PLAN.yaml [--out DIR] [--quiet]

Starts the plan's simulated cluster fresh for every contender (Fulcrum strategies, NGINX setups, direct),
replays the same workload against each, prints the comparison table and writes report.json, report.md and
report.html to DIR (default: the plan's output, else bench-results/<plan name>). See docs/bench.md.`;

export async function compareCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(COMPARE_USAGE);
    return 0;
  }
  const [path, ...extra] = positionals;
  if (!path || extra.length > 0) throw new Error(`give exactly one plan file\n\n${COMPARE_USAGE}`);
  const plan = await loadPlan(path);
  const controller = new AbortController();
  const remove = abortOnSignals(controller);
  try {
    const report = await runCompare(plan, {
      baseDir: folderOf(path),
      signal: controller.signal,
      progress: values.quiet ? false : undefined,
      command: `fulcrum bench compare ${argv.join(' ')}`,
    });
    if (!report) {
      console.error('interrupted: every process stopped, no report written');
      return 130;
    }
    const files = await writeReport(report, values.out ?? plan.output ?? `bench-results/${plan.name}`);
    console.log(comparisonTable(report));
    console.log(`\nreports: ${files.json}, ${files.markdown}, ${files.html}`);
    return 0;
  } finally {
    remove();
  }
}
