/**
 * Simulator cost benchmark (`npm run bench:sim`): can one process drive a cluster of simulated backends
 * without becoming the bottleneck? A child process runs `--sims` simulators (what a laptop demo or the bench
 * would run); this process is the load: `--streams` closed-loop streaming clients spread round-robin, each
 * sending a fresh prompt as soon as its previous reply ends. Over a measurement window it reports the
 * simulator process's CPU, the driver's timer lag, and the ITL the clients saw against the ITL the engines
 * modelled for the same steps: if the simulator kept up, the two agree.
 *
 *   npm run bench:sim -- [--sims 8] [--streams 320] [--seconds 20] [--warmup 5] [--coalesce 1]
 *                        [--prompt 1000] [--output 200] [--time-scale 1] [--profile h100-llama3-8b]
 *   npm run bench:sim -- fidelity      (prints the fidelity table of docs/simulator.md)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { engineRows, fidelityTable, serverRows, syntheticPrompt } from './fidelity.js';
import { type SimHandle, startSim } from './index.js';

interface ChildStats {
  cpuUs: number;
  wallMs: number;
  rssMb: number;
  sims: {
    steps: number;
    busyMs: number;
    tokens: number;
    itlSum: number;
    itlCount: number;
    lagMean: number;
    lagMax: number;
    lagTicks: number;
    running: number;
    virtualNowMs: number;
  }[];
}

const opts = parseArgs({
  allowPositionals: true,
  options: {
    child: { type: 'boolean' },
    sims: { type: 'string', default: '8' },
    streams: { type: 'string', default: '320' },
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    coalesce: { type: 'string', default: '1' },
    prompt: { type: 'string', default: '1000' },
    output: { type: 'string', default: '200' },
    'time-scale': { type: 'string', default: '1' },
    profile: { type: 'string', default: 'h100-llama3-8b' },
  },
});
const v = opts.values;

/** The child: runs the simulators and answers stats requests over IPC. */
async function child(): Promise<void> {
  const sims: SimHandle[] = [];
  for (let i = 0; i < Number(v.sims); i++) {
    sims.push(
      await startSim({
        profile: v.profile,
        coalesce: Number(v.coalesce),
        timeScale: Number(v['time-scale']),
        name: `sim-${i}`,
      }),
    );
  }
  const t0 = performance.now();
  process.send!({ urls: sims.map((s) => s.url) });
  process.on('message', async (msg: string) => {
    if (msg === 'stats') {
      const stats: ChildStats = {
        cpuUs: (() => {
          const u = process.cpuUsage();
          return u.user + u.system;
        })(),
        wallMs: performance.now() - t0,
        rssMb: process.memoryUsage().rss / 2 ** 20,
        sims: sims.map((s) => {
          const st = s.stats();
          return {
            steps: st.steps,
            busyMs: st.busyMs,
            tokens: st.generatedTokens,
            itlSum: st.itlSumMs,
            itlCount: st.itlCount,
            lagMean: st.lag.meanMs,
            lagMax: st.lag.maxMs,
            lagTicks: st.lag.ticks,
            running: st.running,
            virtualNowMs: st.virtualNowMs,
          };
        }),
      };
      process.send!(stats);
    } else if (msg === 'stop') {
      await Promise.all(sims.map((s) => s.close()));
      process.exit(0);
    }
  });
}

function ask(c: ChildProcess, msg: string): Promise<ChildStats> {
  const p = once(c, 'message').then(([m]) => m as ChildStats);
  c.send(msg);
  return p;
}

/** The load: closed-loop streaming clients. */
async function parent(): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const c = fork(self, ['--child', ...process.argv.slice(2)], { execArgv: ['--import', 'tsx'] });
  const [{ urls }] = (await once(c, 'message')) as [{ urls: string[] }];
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const streams = Number(v.streams);
  const promptLen = Number(v.prompt);
  const output = Number(v.output);
  const scale = Number(v['time-scale']);
  let measuring = false;
  let stopping = false;
  let gaps = 0;
  let gapSum = 0;
  let chunks = 0;
  let completed = 0;
  let salt = 1;

  const one = (url: string) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({
        prompt: syntheticPrompt(promptLen, salt++),
        max_tokens: output,
        ignore_eos: true,
        stream: true,
      });
      const req = request(
        `${url}/v1/completions`,
        { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
        (res) => {
          let last = 0;
          res.on('data', (d: Buffer) => {
            const now = performance.now();
            // Each engine step sends one event per request; count events in this read.
            let events = 0;
            for (let i = d.indexOf('data: '); i >= 0; i = d.indexOf('data: ', i + 6)) events++;
            if (!measuring) {
              last = now;
              return;
            }
            chunks += events;
            if (last > 0) {
              gaps++;
              gapSum += now - last;
            }
            last = now;
          });
          res.on('end', () => {
            if (measuring) completed++;
            resolve();
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  const loops = Array.from({ length: streams }, async (_, i) => {
    const url = urls[i % urls.length]!;
    while (!stopping) await one(url);
  });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await sleep(Number(v.warmup) * 1000);
  measuring = true;
  const c0 = process.cpuUsage();
  const s0 = await ask(c, 'stats');
  await sleep(Number(v.seconds) * 1000);
  const s1 = await ask(c, 'stats');
  const c1 = process.cpuUsage(c0);
  measuring = false;
  stopping = true;
  await Promise.race([Promise.all(loops), sleep(30_000)]);
  c.send('stop');
  await once(c, 'exit');

  const wall = s1.wallMs - s0.wallMs;
  let steps = 0;
  let busy = 0;
  let tokens = 0;
  let itlSum = 0;
  let itlCount = 0;
  let lagSum = 0;
  let lagTicks = 0;
  let lagMax = 0;
  let virtual = 0;
  s1.sims.forEach((b, i) => {
    const a = s0.sims[i]!;
    steps += b.steps - a.steps;
    busy += b.busyMs - a.busyMs;
    tokens += b.tokens - a.tokens;
    itlSum += b.itlSum - a.itlSum;
    itlCount += b.itlCount - a.itlCount;
    lagSum += b.lagMean * b.lagTicks - a.lagMean * a.lagTicks;
    lagTicks += b.lagTicks - a.lagTicks;
    lagMax = Math.max(lagMax, b.lagMax);
    virtual += b.virtualNowMs - a.virtualNowMs;
  });
  const modelItlWall = itlSum / itlCount / scale;
  const rows: [string, string][] = [
    [
      'simulators / concurrent streams',
      `${urls.length} / ${streams} (${(streams / urls.length).toFixed(0)} per simulator)`,
    ],
    [
      'workload',
      `${promptLen}-token prompts, ${output} tokens out, coalesce ${v.coalesce}, time scale ${scale}, ${v.profile}`,
    ],
    ['measurement window', `${(wall / 1000).toFixed(1)} s after ${v.warmup} s warm-up`],
    [
      'simulator process CPU',
      `${(((s1.cpuUs - s0.cpuUs) / 1000 / wall) * 100).toFixed(0)} % of one core (RSS ${s1.rssMb.toFixed(0)} MiB)`,
    ],
    ['simulator CPU per streamed token', `${((s1.cpuUs - s0.cpuUs) / tokens).toFixed(1)} µs`],
    [
      'load-generator process CPU',
      `${(((c1.user + c1.system) / 1000 / wall) * 100).toFixed(0)} % of one core`,
    ],
    [
      'engine steps',
      `${((steps / wall) * 1000).toFixed(0)} /s, engines busy ${((busy / scale / (virtual / scale)) * 100).toFixed(0)} % of virtual time`,
    ],
    [
      'tokens streamed',
      `${((tokens / wall) * 1000).toFixed(0)} /s engine-generated, ${((chunks / wall) * 1000).toFixed(0)} /s SSE events received`,
    ],
    ['requests completed', `${completed} (${((completed / wall) * 1000).toFixed(1)} /s)`],
    ['ITL modelled by the engines (wall)', `${modelItlWall.toFixed(2)} ms`],
    ['ITL seen by clients (mean gap between reads)', `${(gapSum / gaps).toFixed(2)} ms`],
    [
      'driver timer lag',
      `mean ${(lagSum / lagTicks).toFixed(2)} ms, max ${lagMax.toFixed(1)} ms over ${lagTicks} firings`,
    ],
  ];
  rows.push([
    'machine load average (1 min) at the end',
    `${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`,
  ]);
  console.log('| measure | value |\n|---|---|');
  for (const [k, val] of rows) console.log(`| ${k} | ${val} |`);
}

async function fidelity(): Promise<void> {
  console.log(fidelityTable([...engineRows(), ...(await serverRows(1))]));
}

if (v.child) await child();
else if (opts.positionals[0] === 'fidelity') await fidelity();
else await parent();
