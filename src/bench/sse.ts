/**
 * An incremental Server-Sent Events splitter for OpenAI-style streams: bytes in, complete `data:` payloads
 * out. Only what the bench needs: `data:` lines (joined when an event has several), comments and other
 * fields ignored, CRLF or LF line ends, events cut anywhere across network chunks.
 */
export class SseSplitter {
  private buffer = '';
  private readonly decoder = new TextDecoder();

  /** Feeds one network chunk; returns the data payloads of the events it completed, in order. */
  push(chunk: Uint8Array): string[] {
    this.buffer += this.decoder.decode(chunk, { stream: true });
    const out: string[] = [];
    for (;;) {
      const match = /\r?\n\r?\n/.exec(this.buffer);
      if (!match) break;
      const event = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const data = parseEvent(event);
      if (data !== undefined) out.push(data);
    }
    return out;
  }

  /** Whatever is left unterminated at the end of the stream (normally empty). */
  rest(): string {
    return this.buffer + this.decoder.decode();
  }
}

function parseEvent(event: string): string | undefined {
  const lines: string[] = [];
  for (const line of event.split(/\r?\n/)) {
    if (line.startsWith('data:')) lines.push(line.slice(line[5] === ' ' ? 6 : 5));
  }
  return lines.length === 0 ? undefined : lines.join('\n');
}
