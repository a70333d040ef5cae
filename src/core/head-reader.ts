/**
 * Finds the end of an HTTP/1.1 message head (the blank line, CRLF CRLF) in bytes that arrive in pieces, as
 * both the upstream response parser and the data plane's request parser must. The head is bounded, and a
 * bare LF is refused as soon as it arrives — it would never complete the CRLF CRLF we wait for, and
 * waiting for a timeout instead would hold the connection open for nothing.
 */

const CR = 0x0d;
const LF = 0x0a;
const HEAD_END = Buffer.from('\r\n\r\n');

/** A complete head: its text (latin1, without the final CRLF CRLF) and the offset just after it. */
export interface Head {
  text: string;
  end: number;
}

export interface HeadReaderErrors {
  /** The head grew past the limit. */
  tooLarge(): Error;
  /** A head line ended with a bare LF. */
  bareLf(): Error;
}

/** Whether a comma-separated header list (already lower-cased) holds `token`, e.g. `close` in `Connection`. */
export function hasToken(list: string, token: string): boolean {
  if (list === '') return false;
  return list.split(',').some((s) => s.trim() === token);
}

export class HeadReader {
  /** Bytes of an unfinished head, when it spans reads (copied: the caller's buffer may be reused). */
  #parts: Buffer[] | undefined;
  #bytes = 0;

  /**
   * @param maxBytes largest head, the final CRLF CRLF included
   * @param errors the caller's errors for a head too large and for a bare LF
   */
  constructor(
    private readonly maxBytes: number,
    private readonly errors: HeadReaderErrors,
  ) {}

  /** Bytes held of a head not complete yet. */
  get held(): number {
    return this.#bytes;
  }

  /** Drops any held bytes: the next read starts a new head. */
  reset(): void {
    this.#parts = undefined;
    this.#bytes = 0;
  }

  /**
   * Reads `buf[at, end)`: the head, when it completes there, or undefined once every byte was held. Never
   * looks past `end`. Throws the caller's errors.
   */
  read(buf: Buffer, at: number, end: number): Head | undefined {
    const held = this.#bytes;
    let head: Buffer;
    let endAt: number;
    if (held === 0) {
      // Searched in a view: a shared read buffer holds stale bytes past `end`, which must not be scanned.
      const found = buf.subarray(at, end).indexOf(HEAD_END);
      if (found === -1) return this.#hold(buf, at, end);
      head = buf.subarray(at, at + found);
      endAt = at + found + 4;
    } else {
      // The blank line may straddle reads: search from 3 bytes back into what is held.
      const joined = Buffer.concat([...(this.#parts ?? []), buf.subarray(at, end)]);
      const found = joined.indexOf(HEAD_END, Math.max(0, held - 3));
      if (found === -1) return this.#hold(buf, at, end);
      head = joined.subarray(0, found);
      endAt = at + (found + 4 - held);
      this.reset();
    }
    if (head.length + 4 > this.maxBytes) throw this.errors.tooLarge();
    return { text: head.toString('latin1'), end: endAt };
  }

  #hold(buf: Buffer, at: number, end: number): undefined {
    for (let i = buf.indexOf(LF, at); i !== -1 && i < end; i = buf.indexOf(LF, i + 1)) {
      const before = i > at ? buf[i - 1] : this.#parts?.at(-1)?.at(-1);
      if (before !== CR) throw this.errors.bareLf();
    }
    this.#bytes += end - at;
    if (this.#bytes > this.maxBytes) throw this.errors.tooLarge();
    this.#parts ??= [];
    this.#parts.push(Buffer.from(buf.subarray(at, end)));
    return undefined;
  }
}
