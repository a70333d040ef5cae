/**
 * Mooncake trace reader (kvcache-ai/Mooncake FAST'25): JSON Lines of
 * `{"timestamp": ms, "input_length": n, "output_length": m, "hash_ids": [...]}`. A hash id names a 512-token
 * prefix block (and everything before it), so requests whose `hash_ids` start alike share that prefix.
 */
import { BLOCK_TOKENS } from '../pseudo-text.js';
import { intField, TraceError, type TraceRecord } from './trace-error.js';

/** Parses a Mooncake JSONL text. Blank lines are skipped; any bad line throws a `TraceError` with its number. */
export function parseMooncake(text: string, source = 'trace'): TraceRecord[] {
  const out: TraceRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    const line = i + 1;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch {
      throw new TraceError(source, line, 'not valid JSON');
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      throw new TraceError(source, line, 'expected a JSON object');
    }
    const o = obj as Record<string, unknown>;
    const timestamp = o.timestamp;
    if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0) {
      throw new TraceError(
        source,
        line,
        `timestamp must be a number of ms ≥ 0, got ${JSON.stringify(timestamp)}`,
      );
    }
    const inputTokens = intField(o.input_length, 'input_length', source, line, 1);
    const outputTokens = intField(o.output_length, 'output_length', source, line, 1);
    const ids = o.hash_ids;
    if (!Array.isArray(ids) || ids.length === 0) {
      throw new TraceError(source, line, 'hash_ids must be a non-empty array');
    }
    const hashIds = ids.map((v, k) => intField(v, `hash_ids[${k}]`, source, line));
    const expected = Math.ceil(inputTokens / BLOCK_TOKENS);
    if (hashIds.length !== expected) {
      throw new TraceError(
        source,
        line,
        `hash_ids has ${hashIds.length} ids but input_length ${inputTokens} needs ceil(${inputTokens}/${BLOCK_TOKENS}) = ${expected}`,
      );
    }
    out.push({ atMs: timestamp, inputTokens, outputTokens, hashIds, line });
  }
  return rebase(out, source);
}

/** Sorts by arrival (stable) and makes times relative to the first request. */
export function rebase(records: TraceRecord[], source: string): TraceRecord[] {
  if (records.length === 0) throw new TraceError(source, 1, 'the trace has no requests');
  const sorted = records.map((r, k) => ({ r, k })).sort((a, b) => a.r.atMs - b.r.atMs || a.k - b.k);
  const t0 = sorted[0]!.r.atMs;
  return sorted.map(({ r }) => ({ ...r, atMs: r.atMs - t0 }));
}
