/**
 * "Did you mean …?" for misspelt keys, strategy names, enum values and flags. A typo should cost the
 * operator one glance, not a trip to the docs.
 */

/**
 * Edit distance with adjacent transpositions (optimal string alignment): insert, delete, substitute or swap
 * two neighbours, each costing 1, so `prot` is one edit from `port`. O(a·b) time.
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row[j] = j;
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row[j] = d;
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/** Case and separators are ignored, so `api_key`, `API-KEY` and `apikey` all match `apiKey`. */
function normalise(s: string): string {
  return s.toLowerCase().replace(/[-_ ]/g, '');
}

/**
 * The closest candidate to `input`, or undefined when nothing is close enough. "Close enough" is at most
 * one edit per three characters (minimum one), which catches transpositions and dropped letters without
 * suggesting unrelated words for short inputs.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const needle = normalise(input);
  const limit = Math.max(1, Math.floor(needle.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = editDistance(needle, normalise(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** ` (did you mean "x"?)` when a candidate is close, else the empty string. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const match = closest(input, candidates);
  return match === undefined ? '' : ` (did you mean "${match}"?)`;
}
