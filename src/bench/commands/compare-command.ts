/** `fulcrum bench compare PLAN.yaml [--out DIR] [--quiet]`: runs a plan and prints the comparison table. */
import { parseArgs } from 'node:util';
import { runCompare } from '../compare.js';
import { contenderName, loadPlan, type Plan } from '../plan.js';
import { comparisonTable } from '../report/markdown.js';
import { folderOf } from '../workloads/index.js';
import { writeReport } from './output.js';
import { abortOnSignals } from './signals.js';

export const COMPARE_USAGE = `Usage: fulcrum bench compare PLAN.yaml [--out DIR] [--quiet] [--only A,B] [--rate-scale X]

Starts the plan's simulated cluster fresh for every contender (Fulcrum strategies, NGINX setups, direct),
replays the same workload against each, prints the comparison table and writes report.json, report.md and
report.html to DIR (default: the plan's output, else bench-results/<plan name>). See docs/bench.md.

  --only A,B        run only these contenders (by report name); the first listed present is the baseline
  --rate-scale X    override the plan's load.rateScale (trace mode), e.g. to sweep for capacity
  --itl-samples     keep every request's raw inter-token gaps in report.json (large)`;

export async function compareCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      quiet: { type: 'boolean' },
      only: { type: 'string' },
      'rate-scale': { type: 'string' },
      'itl-samples': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(COMPARE_USAGE);
    return 0;
  }
  const [path, ...extra] = positionals;
  if (!path || extra.length > 0) throw new Error(`give exactly one plan file\n\n${COMPARE_USAGE}`);
  const plan = applyOverrides(await loadPlan(path), values.only, values['rate-scale']);
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
    const files = await writeReport(report, values.out ?? plan.output ?? `bench-results/${plan.name}`, {
      itlSamples: values['itl-samples'],
    });
    console.log(comparisonTable(report));
    console.log(`\nreports: ${files.json}, ${files.markdown}, ${files.html}`);
    return 0;
  } finally {
    remove();
  }
}

/** Applies `--only` and `--rate-scale` to a loaded plan. */
export function applyOverrides(plan: Plan, only: string | undefined, rateScale: string | undefined): Plan {
  let out = plan;
  if (only !== undefined) {
    const names = only.split(',').filter(Boolean);
    const unknown = names.filter((n) => !plan.contenders.some((c) => contenderName(c) === n));
    if (unknown.length) {
      throw new Error(
        `--only: no contender named ${unknown.join(', ')} (${plan.contenders.map(contenderName).join(', ')})`,
      );
    }
    const contenders = plan.contenders.filter((c) => names.includes(contenderName(c)));
    const baseline =
      plan.baseline && names.includes(plan.baseline) ? plan.baseline : contenderName(contenders[0]!);
    out = { ...out, contenders, baseline };
  }
  if (rateScale !== undefined) {
    const x = Number(rateScale);
    if (!(x > 0)) throw new Error(`--rate-scale must be a number > 0, got ${rateScale}`);
    if (out.load.mode !== 'trace') throw new Error('--rate-scale applies to load mode "trace" only');
    out = { ...out, load: { ...out.load, rateScale: x } };
  }
  return out;
}
