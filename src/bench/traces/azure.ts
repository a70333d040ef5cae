/**
 * Azure LLM inference trace reader (Azure/AzurePublicDataset, Splitwise ISCA'24): CSV with the header
 * `TIMESTAMP,ContextTokens,GeneratedTokens`, where TIMESTAMP is a wall-clock time such as
 * `2023-11-16 18:15:46.6805900` (read as UTC; only differences matter). The trace carries no prefix
 * information, so every request gets text that shares nothing.
 */
import { rebase } from './mooncake.js';
import { intField, TraceError, type TraceRecord } from './trace-error.js';

const HEADER = ['TIMESTAMP', 'ContextTokens', 'GeneratedTokens'];
const TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/** Parses one Azure timestamp into epoch ms (fractional), or undefined when malformed. */
export function parseAzureTime(value: string): number | undefined {
  const m = TIME.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac] = m;
  const whole = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(whole)) return undefined;
  return whole + (frac ? Number(`0.${frac}`) * 1000 : 0);
}

/** Parses an Azure CSV text. Any bad line throws a `TraceError` with its number. */
export function parseAzure(text: string, source = 'trace'): TraceRecord[] {
  const lines = text.split('\n');
  const header = (lines[0] ?? '').trim().split(',');
  if (HEADER.some((h, k) => header[k]?.trim() !== h)) {
    throw new TraceError(
      source,
      1,
      `expected the header ${HEADER.join(',')}, got ${JSON.stringify(lines[0])}`,
    );
  }
  const out: TraceRecord[] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    const line = i + 1;
    const cells = raw.split(',');
    if (cells.length !== 3) throw new TraceError(source, line, `expected 3 columns, got ${cells.length}`);
    const at = parseAzureTime(cells[0]!);
    if (at === undefined) {
      throw new TraceError(
        source,
        line,
        `TIMESTAMP must look like 2023-11-16 18:15:46.6805900, got ${cells[0]}`,
      );
    }
    const inputTokens = intField(cells[1], 'ContextTokens', source, line, 1);
    const outputTokens = intField(cells[2], 'GeneratedTokens', source, line, 1);
    out.push({ atMs: at, inputTokens, outputTokens, line });
  }
  return rebase(out, source);
}
