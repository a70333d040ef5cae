/**
 * Keeps an SSE relay on event boundaries. Bytes are passed on as soon as they complete an event (a blank
 * line ends one); a trailing partial event is held back until its end arrives. If the upstream dies
 * mid-event, the partial event is dropped and our terminal error event follows a clean boundary, so a
 * client's SSE parser sees a well-formed error instead of a corrupt half line. The common case — an engine
 * writing whole events — passes the chunk through without copying.
 */
export class SseFramer {
  #pending: Buffer | undefined;

  /** Returns the bytes that end on an event boundary (possibly undefined), keeping the remainder. */
  push(chunk: Buffer): Buffer | undefined {
    const data = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    const end = lastBoundary(data);
    if (end === data.length) {
      this.#pending = undefined;
      return data;
    }
    this.#pending = end === 0 ? data : data.subarray(end);
    return end === 0 ? undefined : data.subarray(0, end);
  }

  /** Bytes of an unfinished event held back. */
  get pendingBytes(): number {
    return this.#pending?.length ?? 0;
  }

  /** Returns and clears the held-back partial event (used when the upstream ended cleanly). */
  flush(): Buffer | undefined {
    const rest = this.#pending;
    this.#pending = undefined;
    return rest;
  }
}

/** Index just after the last blank line (`\n\n`, `\r\n\r\n` or `\n\r\n`) in `buf`, or 0 if there is none. */
export function lastBoundary(buf: Buffer): number {
  for (let i = buf.length - 1; i > 0; i--) {
    if (buf[i] !== 0x0a) continue;
    let j = i - 1;
    if (buf[j] === 0x0d) j--;
    if (j >= 0 && buf[j] === 0x0a) return i + 1;
  }
  return 0;
}
