/**
 * The fidelity check: reproduces the rows of "Predicted values and published anchors" in sim-model.md from
 * the running simulator. Decode rows run the engine on its virtual clock (exact, no timers); TTFT rows send
 * real requests to a real server and time the first streamed token on the wall clock. Each row carries the
 * model's closed-form prediction (computed here from the documented formulas, not copied), the measurement,
 * and the published figure for context. Used by test/sim/fidelity.test.ts and `npm run bench:sim -- fidelity`.
 */
import { StepEngine } from './engine.js';
import { startSim } from './index.js';
import { resolveParams, type StepParams } from './profiles.js';
import { decodeItlMs, prefillAloneMs } from './step-model.js';

/** One row of the comparison. */
export interface FidelityRow {
  case: string;
  /** The model's prediction (closed form), ms. */
  predictedMs: number;
  /** What the simulator produced, ms. */
  measuredMs: number;
  /** The figure printed in sim-model.md's table for this row, ms (to check the doc and the code agree). */
  tableMs: number;
  /** Published or measured figures elsewhere, as text. */
  published: string;
  method: 'engine, virtual clock' | 'server, wall clock';
}

function stepProfile(name: string): StepParams {
  const p = resolveParams(name);
  if (p.kind !== 'step') throw new Error(`${name} is not a step profile`);
  return p;
}

/** Distinct, deterministic token ids: `salt` separates prompts that must not share a prefix. */
export function syntheticPrompt(length: number, salt: number): number[] {
  return Array.from({ length }, (_, i) => (i * 7919 + salt * 104729 + 13) % 128000);
}

/**
 * Mean decode ITL at batch size `batch` with `ctx`-token prompts, measured in steady decode (after every
 * request has its first token), with the model's prediction at the mean context actually held.
 */
export function measureDecode(
  p: StepParams,
  batch: number,
  ctx: number,
): { measured: number; predicted: number } {
  const e = new StepEngine({ ...p, tApiMs: 0 });
  const out = 48 + Math.ceil((batch * ctx) / p.maxNumBatchedTokens);
  const times: number[][] = [];
  for (let i = 0; i < batch; i++) {
    const t: number[] = [];
    times.push(t);
    e.submit(
      {
        promptTokens: syntheticPrompt(ctx, i + 1),
        outputTokens: out,
        finishReason: 'length',
        outputTokenId: (k) => k,
      },
      { onToken: (_k, at) => t.push(at) },
    );
  }
  for (let next = e.nextEventAt(); next !== undefined; next = e.nextEventAt()) e.advanceTo(next);
  const start = Math.max(...times.map((t) => t[0]!));
  const end = Math.min(...times.map((t) => t.at(-1)!));
  let sum = 0;
  let n = 0;
  let ctxSum = 0;
  for (const t of times) {
    for (let k = 1; k < t.length; k++) {
      if (t[k - 1]! < start || t[k]! > end) continue;
      sum += t[k]! - t[k - 1]!;
      ctxSum += ctx + k; // context read by the step that produced token k
      n++;
    }
  }
  return { measured: sum / n, predicted: decodeItlMs(p, batch, (ctxSum / n) * batch) };
}

/** Prefill time of an n-token prompt with `cached` tokens cached, measured on a virtual-clock engine. */
export function measurePrefill(p: StepParams, n: number, cached: number): number {
  const e = new StepEngine({ ...p, tApiMs: 0 });
  const prefix = syntheticPrompt(cached, 900);
  const run = (tokens: number[]) => {
    let first = 0;
    const start = e.now;
    e.submit(
      { promptTokens: tokens, outputTokens: 1, finishReason: 'length', outputTokenId: (k) => k },
      { onToken: (_k, at) => (first = at) },
    );
    for (let next = e.nextEventAt(); next !== undefined; next = e.nextEventAt()) e.advanceTo(next);
    return first - start;
  };
  if (cached > 0) run([...prefix, ...syntheticPrompt(n - cached, 901)]);
  return run([...prefix, ...syntheticPrompt(n - cached, 902)]);
}

/** Rows measured on the virtual clock. */
export function engineRows(): FidelityRow[] {
  const A = stepProfile('h100-llama3-8b');
  const B = stepProfile('a100-llama3-8b');
  const C = stepProfile('h100x4-llama3-70b');
  const rows: FidelityRow[] = [];
  const decode = (
    label: string,
    p: StepParams,
    batch: number,
    ctx: number,
    tableMs: number,
    published: string,
  ) => {
    const { measured, predicted } = measureDecode(p, batch, ctx);
    rows.push({
      case: label,
      predictedMs: predicted,
      measuredMs: measured,
      tableMs,
      published,
      method: 'engine, virtual clock',
    });
  };
  const prefill = (
    label: string,
    p: StepParams,
    n: number,
    cached: number,
    tableMs: number,
    published: string,
  ) => {
    rows.push({
      case: label,
      predictedMs: prefillAloneMs(p, n, cached),
      measuredMs: measurePrefill(p, n, cached),
      tableMs,
      published,
      method: 'engine, virtual clock',
    });
  };
  decode('A: decode ITL, B=1 (ctx 2k)', A, 1, 2000, 7.5, 'NIM FP8 4.63 ms; llm-d estimate 10–15 ms');
  decode('A: decode ITL, B=64, ctx 2k', A, 64, 2000, 14.6, 'NIM FP8 c=50: 5.9 ms (shape only)');
  decode('A: decode ITL, B=128, ctx 1.5k', A, 128, 1500, 18.1, 'NIM FP8 c=100: 7.6 ms (shape only)');
  decode('A: decode ITL, B=256, ctx 1k', A, 256, 1000, 24.2, 'NIM FP8 c=250: 16.1 ms (shape only)');
  decode('B: decode ITL, B=1 (ctx 2k)', B, 1, 2000, 11.8, 'llm-d estimate 15–25 ms');
  decode('C: decode ITL, B=1 (ctx 2k)', C, 1, 2000, 22.8, 'Splitwise 29.7 ms; NIM FP8 TP2 18.6 ms');
  prefill('A: prefill 32,768 tokens (4 chunks)', A, 32768, 0, 1400, '–');
  prefill('B: prefill 2,048 tokens', B, 2048, 0, 150, 'llm-d estimate 0.30–0.55 ms/token');
  prefill('C: prefill 8,192 tokens', C, 8192, 0, 600, 'Splitwise H100 TP4 953.6 ms (2023 vLLM)');
  prefill('B: 12k prompt, uncached', B, 12000, 0, 1062, '–');
  prefill('B: 12k prompt, 8k cached', B, 12000, 8192, 397, '–');
  prefill('C: 12k prompt, uncached', C, 12000, 0, 911, '–');
  prefill('C: 12k prompt, 8k cached', C, 12000, 8192, 325, '–');
  return rows;
}

/** Runs per wall-clock row; the row reports the median. */
const REPEATS = 3;

/** Wall-clock time to the first streamed token of a completions request with token-id `prompt`. */
async function timeToFirstToken(url: string, prompt: number[]): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt, max_tokens: 1, stream: true }),
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let first: number | undefined;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (first === undefined && text.includes('"text"')) first = performance.now() - t0;
  }
  if (first === undefined) throw new Error(`no token in response: ${text.slice(0, 200)}`);
  return first;
}

/**
 * Rows measured on real servers. TTFT includes the model's request overhead T_api (5 ms), so the prediction
 * is prefill + T_api; `timeScale` > 1 shortens the run but coarsens the measurement.
 */
export async function serverRows(timeScale = 1): Promise<FidelityRow[]> {
  const rows: FidelityRow[] = [];
  const A = stepProfile('h100-llama3-8b');
  const C = stepProfile('h100x4-llama3-70b');
  const simA = await startSim({ profile: A.name, timeScale });
  const simC = await startSim({ profile: C.name, timeScale });
  try {
    // Warm up the client (fetch loads undici lazily, ~20–30 ms on the first call) and the server's code paths,
    // so the rows time the simulator and not a cold start.
    for (const sim of [simA, simC]) await timeToFirstToken(sim.url, syntheticPrompt(2048, 99));
    const ttft = async (url: string, prompt: number[]) => (await timeToFirstToken(url, prompt)) * timeScale;
    // Each row is the median of REPEATS runs (distinct prompts, so no run hits another's cache): one late
    // timer or GC pause on a shared machine should not decide a row.
    const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const repeat = async (f: (i: number) => Promise<number>) => {
      const xs: number[] = [];
      for (let i = 0; i < REPEATS; i++) xs.push(await f(i));
      return median(xs);
    };
    const row = (
      label: string,
      p: StepParams,
      n: number,
      cached: number,
      measured: number,
      tableMs: number,
      published: string,
    ) =>
      rows.push({
        case: label,
        predictedMs: prefillAloneMs(p, n, cached) + p.tApiMs,
        measuredMs: measured,
        tableMs: tableMs + p.tApiMs,
        published,
        method: 'server, wall clock',
      });
    row(
      'A: TTFT, 8,192-token prompt, idle',
      A,
      8192,
      0,
      await repeat((i) => ttft(simA.url, syntheticPrompt(8192, 10 + i))),
      220,
      '–',
    );
    row(
      'C: TTFT, 5,000-token prompt, idle',
      C,
      5000,
      0,
      await repeat((i) => ttft(simC.url, syntheticPrompt(5000, 20 + i))),
      360,
      'NIM Llama-3.3-70B FP8 TP2: 410 ms',
    );
    const pairs: [number, number][] = [];
    for (let i = 0; i < REPEATS; i++) {
      const prefix = syntheticPrompt(8192, 30 + i);
      const u = await ttft(simA.url, [...prefix, ...syntheticPrompt(12000 - 8192, 40 + i)]);
      pairs.push([u, await ttft(simA.url, [...prefix, ...syntheticPrompt(12000 - 8192, 50 + i)])]);
    }
    const uncached = median(pairs.map((p) => p[0]));
    const cached = median(pairs.map((p) => p[1]));
    row('A: TTFT, 12k prompt, uncached', A, 12000, 0, uncached, 351, '–');
    row('A: TTFT, 12k prompt, 8k cached', A, 12000, 8192, cached, 135, 'Mooncake: up to 48 % prefill saved');
    rows.push({
      case: 'A: TTFT saved by the 8k cached prefix',
      predictedMs: prefillAloneMs(A, 12000, 0) - prefillAloneMs(A, 12000, 8192),
      measuredMs: uncached - cached,
      tableMs: 351 - 135,
      published: '–',
      method: 'server, wall clock',
    });
  } finally {
    await simA.close();
    await simC.close();
  }
  return rows;
}

/** The rows as a Markdown table. */
export function fidelityTable(rows: FidelityRow[]): string {
  const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
  const lines = [
    '| case | model prediction | simulator | error | measured by | published |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.case} | ${ms(r.predictedMs)} ms | ${ms(r.measuredMs)} ms | ${((r.measuredMs / r.predictedMs - 1) * 100).toFixed(1)} % | ${r.method} | ${r.published} |`,
    ),
  ];
  return lines.join('\n');
}
