/** Reads a trace file in any supported format and turns it into a workload. */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { BLOCK_TOKENS } from '../pseudo-text.js';
import { type BenchRequest, UniqueBlocks, type Workload } from '../workload.js';
import { parseAzure } from './azure.js';
import { parseMooncake } from './mooncake.js';
import type { TraceRecord } from './trace-error.js';

/** Supported trace formats. */
export type TraceFormat = 'mooncake' | 'azure';

/** Guesses the format from the file name: `.jsonl`/`.json` → mooncake, `.csv` → azure. */
export function detectFormat(path: string): TraceFormat {
  if (/\.jsonl?$/i.test(path)) return 'mooncake';
  if (/\.csv$/i.test(path)) return 'azure';
  throw new Error(`cannot tell the trace format of ${path}; name it .jsonl (Mooncake) or .csv (Azure)`);
}

/** Turns parsed records into requests: one user message each, prefix blocks from `hash_ids` when present. */
export function recordsToWorkload(name: string, records: readonly TraceRecord[]): Workload {
  const unique = new UniqueBlocks();
  const requests: BenchRequest[] = records.map((r, index) => ({
    index,
    atMs: r.atMs,
    messages: [
      {
        role: 'user',
        content: r.hashIds
          ? { blocks: r.hashIds, tokens: r.inputTokens }
          : unique.text(r.inputTokens, BLOCK_TOKENS),
      },
    ],
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
  }));
  return { name, requests };
}

/** Reads and parses a trace file. Errors name the file and line. */
export async function loadTrace(path: string, format: TraceFormat = detectFormat(path)): Promise<Workload> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read trace ${path}: ${(err as Error).message}`);
  }
  const records = format === 'mooncake' ? parseMooncake(text, path) : parseAzure(text, path);
  return recordsToWorkload(`${format}:${basename(path)}`, records);
}
