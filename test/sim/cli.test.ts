// Issue 3: `fulcrum sim` as users run it: flags, help, answering the SDK, clean exit, the crash fault.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';

const runner = fileURLToPath(new URL('./fixtures/run-cli.ts', import.meta.url));

function cli(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', runner, 'sim', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function output(child: ChildProcess): Promise<{ code: number | null; out: string; err: string }> {
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out, err };
}

/** Starts the CLI and resolves with its URL once it prints it. */
async function startCli(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = cli(['--port', '0', ...args]);
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  return { child, url };
}

test('--help lists the options, profiles and faults, and exits 0', async () => {
  const r = await output(cli(['--help']));
  assert.equal(r.code, 0);
  assert.match(r.out, /Usage: fulcrum sim/);
  for (const s of [
    'h100-llama3-8b',
    'a100-llama3-8b',
    'h100x4-llama3-70b',
    '--time-scale',
    'close-after',
    'llamacpp',
  ]) {
    assert.ok(r.out.includes(s), s);
  }
});

test('bad flags and unknown profiles exit 2 with a message', async () => {
  const a = await output(cli(['--bogus']));
  assert.equal(a.code, 2);
  const b = await output(cli(['--port', '0', '--profile', 'tpu-v9']));
  assert.equal(b.code, 2);
  assert.match(b.err, /unknown sim profile "tpu-v9"; valid: h100-llama3-8b/);
});

test('serves the SDK and vLLM metrics; SIGTERM exits 0', async () => {
  const { child, url } = await startCli([
    '--profile',
    'a100-llama3-8b',
    '--time-scale',
    '10',
    '--param',
    'maxNumSeqs=8',
  ]);
  const exited = output(child);
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
  const r = await client.chat.completions.create({
    model: 'meta-llama/Llama-3.1-8B-Instruct',
    messages: [{ role: 'user', content: 'hi' }],
    max_tokens: 5,
  });
  assert.ok(r.usage!.completion_tokens <= 5);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, /^vllm:num_requests_running\{model_name="meta-llama\/Llama-3.1-8B-Instruct"\} 0$/m);
  child.kill('SIGTERM');
  assert.equal((await exited).code, 0);
});

test('the crash fault ends the process', async () => {
  const { child, url } = await startCli([]);
  const exited = output(child);
  await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'x-sim-fault': 'crash' },
    body: JSON.stringify({ prompt: 'x' }),
  }).catch(() => undefined);
  const r = await exited;
  assert.equal(r.code, 70);
  assert.match(r.err, /crash fault/);
});
