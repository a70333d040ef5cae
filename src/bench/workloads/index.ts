/**
 * Workload specifications, as written in a bench plan or built from CLI flags, and the one function that
 * turns a specification into requests. Unknown keys are errors so that a typo does not silently fall back
 * to a default.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { loadTrace } from '../traces/index.js';
import type { Workload } from '../workload.js';
import { chatSessions } from './chat-sessions.js';
import { mix } from './mix.js';
import { sharedDocs } from './shared-docs.js';
import { shareGpt } from './sharegpt.js';

const pos = z.number().positive();
const int = z.number().int().min(1);
const common = { seed: z.number().int().min(0).optional(), requests: int.optional(), rate: pos.optional() };

const chatSessionsSpec = z.strictObject({
  synthetic: z.literal('chat-sessions'),
  ...common,
  systemTokens: int.optional(),
  turnsMin: int.optional(),
  turnsMax: int.optional(),
  userTokens: int.optional(),
  outputTokens: int.optional(),
  thinkS: pos.optional(),
});
const sharedDocsSpec = z.strictObject({
  synthetic: z.literal('shared-docs'),
  ...common,
  documents: int.optional(),
  documentTokens: int.optional(),
  zipfS: z.number().min(0).optional(),
  instructionTokens: int.optional(),
  questionTokens: int.optional(),
  outputTokens: int.optional(),
});
const shareGptSpec = z.strictObject({
  synthetic: z.literal('sharegpt'),
  ...common,
  inputTokens: int.optional(),
  outputTokens: int.optional(),
});
const componentSpec = z.discriminatedUnion('synthetic', [chatSessionsSpec, sharedDocsSpec, shareGptSpec]);
const mixSpec = z.strictObject({
  synthetic: z.literal('mix'),
  ...common,
  components: z.array(z.strictObject({ weight: pos, workload: componentSpec })).min(1),
});
const traceSpec = z.strictObject({
  /** Path to a Mooncake .jsonl or Azure .csv trace; relative paths resolve against the plan's folder. */
  trace: z.string().min(1),
  format: z.enum(['mooncake', 'azure']).optional(),
});

/** A workload: a trace file or a seeded synthetic generator. */
export const workloadSpecSchema = z.union([traceSpec, componentSpec, mixSpec]);
export type WorkloadSpec = z.infer<typeof workloadSpecSchema>;
type ComponentSpec = z.infer<typeof componentSpec>;

function generate(spec: ComponentSpec): Workload {
  const { synthetic: _s, ...options } = spec;
  switch (spec.synthetic) {
    case 'chat-sessions':
      return chatSessions(options);
    case 'shared-docs':
      return sharedDocs(options);
    case 'sharegpt':
      return shareGpt(options);
  }
}

/**
 * Builds the workload a spec describes.
 * @param baseDir folder that relative trace paths resolve against. Default the current directory.
 */
export async function buildWorkload(spec: WorkloadSpec, baseDir = process.cwd()): Promise<Workload> {
  if ('trace' in spec) {
    const path = isAbsolute(spec.trace) ? spec.trace : resolve(baseDir, spec.trace);
    return spec.format ? loadTrace(path, spec.format) : loadTrace(path);
  }
  if (spec.synthetic === 'mix') {
    const components = spec.components.map((c) => ({
      weight: c.weight,
      generate: (seed: number, requests: number, rate: number) =>
        generate({ ...c.workload, seed, requests, rate }),
    }));
    return mix(components, spec.seed ?? 1, spec.requests ?? 1000, spec.rate ?? 4);
  }
  return generate(spec);
}

/** The folder of a file, for resolving paths written relative to it. */
export function folderOf(file: string): string {
  return dirname(resolve(file));
}
