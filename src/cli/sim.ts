/**
 * `fulcrum sim`: run a simulated OpenAI-compatible LLM server (see docs/simulator.md). A thin layer over
 * `startSim`; it parses flags, prints where it listens, and exits on SIGINT/SIGTERM or the `crash` fault.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  ENGINES,
  type EngineFlavor,
  type FaultPlan,
  parseFault,
  parseWindow,
  profileNames,
  type SimHandle,
  startSim,
} from '../sim/index.js';

const HELP = `Usage: fulcrum sim [options]

Runs a simulated OpenAI-compatible LLM server that behaves like vLLM under load: continuous batching with
chunked prefill, a prefix KV cache, queueing and preemption, with step times from published measurements.

Options:
  --port N              port to listen on (default 8000; 0 = any free port)
  --host ADDR           address to bind (default 127.0.0.1)
  --profile NAME        engine profile (default h100-llama3-8b): ${profileNames().join(', ')}
  --param KEY=VALUE     override one profile parameter (repeatable), e.g. --param maxNumSeqs=64
  --params FILE         JSON object of parameter overrides
  --model NAME          served model name (repeatable; default meta-llama/Llama-3.1-8B-Instruct)
  --engine NAME         load signals to emulate (default vllm): ${ENGINES.join(', ')}
  --seed N              seed of output text and random faults (default 1)
  --time-scale X        run the virtual engine X times faster than real time (default 1)
  --coalesce N          tokens per SSE chunk (default 1: one chunk per engine step)
  --noise SIGMA         lognormal noise on step times, e.g. 0.05 (default 0: off)
  --fault SPEC          a fault for --fault-rate to draw from (repeatable; default status=500)
  --fault-rate R        probability in [0, 1] that a request gets a fault (default 0)
  --fault-schedule W    FROM-TO[@RATE]:SPEC in seconds since start (repeatable), e.g. 10-20:status=503
  --keep-alive-ms N     HTTP keep-alive timeout (default 5000)
  --slots N             parallel slots of the llamacpp emulation (default 8)
  -h, --help            show this help

Fault specs (also per request in the x-sim-fault header):
  status=429|500|503[;retry-after=S]   reset-before-headers   close-after=N[;mode=fin|rst]
  stall-after=N   garbage   bad-sse[=N]   slow-headers=MS   content-length-lie   refuse[=MS]   crash   none

Endpoints: /v1/chat/completions /v1/completions /v1/embeddings /v1/models /health /metrics
           (+ /slots for llamacpp, /api/ps for ollama, /info for tgi)`;

function num(v: string | undefined, flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${flag} must be a number, got "${v}"`);
  return n;
}

const parse = (argv: string[]) =>
  parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      profile: { type: 'string' },
      param: { type: 'string', multiple: true },
      params: { type: 'string' },
      model: { type: 'string', multiple: true },
      engine: { type: 'string' },
      seed: { type: 'string' },
      'time-scale': { type: 'string' },
      coalesce: { type: 'string' },
      noise: { type: 'string' },
      fault: { type: 'string', multiple: true },
      'fault-rate': { type: 'string' },
      'fault-schedule': { type: 'string', multiple: true },
      'keep-alive-ms': { type: 'string' },
      slots: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });

/** Runs `fulcrum sim`; resolves with the exit code when the server stops. */
export async function run(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(argv));
  } catch (err) {
    console.error(`fulcrum sim: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  let sim: SimHandle;
  try {
    const params: Record<string, unknown> = {};
    if (values.params) Object.assign(params, JSON.parse(await readFile(values.params, 'utf8')) as object);
    for (const kv of values.param ?? []) {
      const eq = kv.indexOf('=');
      if (eq < 1) throw new Error(`--param expects KEY=VALUE, got "${kv}"`);
      params[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    if (values.noise !== undefined) params.noiseSigma = num(values.noise, '--noise', 0);
    const engine = values.engine ?? 'vllm';
    if (!(ENGINES as readonly string[]).includes(engine)) {
      throw new Error(`unknown --engine "${engine}"; valid: ${ENGINES.join(', ')}`);
    }
    const faults: FaultPlan = {
      rate: num(values['fault-rate'], '--fault-rate', 0),
      faults: (values.fault ?? []).map(parseFault),
      schedule: (values['fault-schedule'] ?? []).map(parseWindow),
    };
    if (!(faults.rate! >= 0 && faults.rate! <= 1)) throw new Error('--fault-rate must be in [0, 1]');
    sim = await startSim({
      port: num(values.port, '--port', 8000),
      host: values.host ?? '127.0.0.1',
      profile: values.profile,
      params,
      model: values.model,
      engine: engine as EngineFlavor,
      seed: num(values.seed, '--seed', 1),
      timeScale: num(values['time-scale'], '--time-scale', 1),
      coalesce: num(values.coalesce, '--coalesce', 1),
      faults,
      keepAliveTimeoutMs: num(values['keep-alive-ms'], '--keep-alive-ms', 5000),
      slots: num(values.slots, '--slots', 8),
      onCrash: () => {
        console.error('fulcrum sim: crash fault: exiting');
        process.exit(70);
      },
    });
  } catch (err) {
    console.error(`fulcrum sim: ${(err as Error).message}`);
    return 2;
  }
  console.log(
    `fulcrum sim: ${sim.params.name} (${values.engine ?? 'vllm'} API) listening on ${sim.url}` +
      ` — OpenAI base URL ${sim.url}/v1, time scale ${values['time-scale'] ?? 1}`,
  );
  const handle = sim;
  return new Promise<number>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void handle.close().then(() => resolve(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
