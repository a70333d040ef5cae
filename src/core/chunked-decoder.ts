/**
 * HTTP/1.1 chunked transfer coding (RFC 9112 §7.1), decoded incrementally and strictly. It is shared by the
 * upstream response parser and the data plane's request parser, so both sides refuse the same malformed
 * framing — the ambiguity request smuggling lives on. Chunk data is handed out as views of the caller's
 * buffer; extensions and trailers are read, bounded, and dropped (a proxy re-frames what it forwards).
 *
 * The caller drives it one step at a time: each {@link ChunkedDecoder.step} either consumes framing bytes up
 * to the next chunk's data (or the end of the message), or hands out one piece of data. Between steps the
 * caller can stop, for backpressure, without the decoder holding any bytes.
 */

const CR = 0x0d;
const LF = 0x0a;
/** Largest chunk accepted: 2^40 bytes, far past anything real, and exact in a double. */
const MAX_CHUNK = 2 ** 40;

enum State {
  Size,
  /** Whitespace after the size: only more of it, `;` or the line end may follow (§7.1.1, BWS). */
  SizeWs,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  Trailer,
  Done,
}

/** Where decoded chunk data goes: the parser's own sink (an object, so that no parser needs a closure). */
export interface ChunkSink {
  /** A piece of chunk data: a view, valid only during the call. */
  body(chunk: Buffer): void;
}

export class ChunkedDecoder {
  #state = State.Size;
  #remaining = 0;
  #lineBytes = 0;
  /** Trailer section: whether the current line is empty so far, and whether the last byte was CR. */
  #lineEmpty = true;
  #prevCr = false;

  /**
   * @param maxLineBytes longest chunk-size line (extensions included) and longest trailer section, bytes
   * @param fail builds the error thrown for malformed framing (the caller's own error type)
   */
  constructor(
    private readonly maxLineBytes: number,
    private readonly fail: (message: string) => Error,
  ) {}

  /** Starts a new message. */
  reset(): void {
    this.#state = State.Size;
    this.#remaining = 0;
    this.#lineBytes = 0;
  }

  /** True once the last chunk and the trailer section were read: the message ends here. */
  get done(): boolean {
    return this.#state === State.Done;
  }

  /**
   * Decodes from `buf[at]`, stopping before `end`. Hands at most one piece of chunk data to `sink.body` (a
   * view, valid only during the call) and returns the offset reached. Throws `fail(…)` on malformed framing.
   */
  step(buf: Buffer, at: number, end: number, sink: ChunkSink): number {
    if (this.#state === State.Done) return at;
    if (this.#state !== State.Data) return this.#framing(buf, at, end);
    const to = at + Math.min(this.#remaining, end - at);
    this.#remaining -= to - at;
    if (this.#remaining === 0) this.#state = State.DataCr;
    if (to > at) sink.body(buf.subarray(at, to));
    return to;
  }

  /** The framing bytes between data: size lines, the CRLF after data, trailers. */
  #framing(buf: Buffer, at: number, end: number): number {
    const limit = this.maxLineBytes;
    while (at < end) {
      const byte = buf[at++]!;
      if (++this.#lineBytes > limit) throw this.fail('A chunk-size line or the trailers are too long.');
      switch (this.#state) {
        case State.Size: {
          const digit = hexValue(byte);
          if (digit >= 0) {
            this.#remaining = this.#remaining * 16 + digit;
            if (this.#remaining > MAX_CHUNK) throw this.fail('A chunk is too large.');
            continue;
          }
          if (this.#lineBytes === 1) throw this.fail('A chunk-size line has no size.');
          if (byte === CR) this.#state = State.SizeLf;
          else if (byte === 0x3b) this.#state = State.Ext;
          else if (byte === 0x20 || byte === 0x09) this.#state = State.SizeWs;
          else throw this.fail('A chunk-size line is malformed.');
          continue;
        }
        case State.SizeWs:
          if (byte === CR) this.#state = State.SizeLf;
          else if (byte === 0x3b) this.#state = State.Ext;
          else if (byte !== 0x20 && byte !== 0x09) throw this.fail('A chunk-size line is malformed.');
          continue;
        case State.Ext:
          if (byte === CR) this.#state = State.SizeLf;
          else if (byte < 0x20 && byte !== 0x09)
            throw this.fail('A chunk extension holds a control character.');
          continue;
        case State.SizeLf:
          if (byte !== LF) throw this.fail('A chunk-size line ends without LF.');
          this.#lineBytes = 0;
          if (this.#remaining === 0) {
            this.#state = State.Trailer;
            this.#lineEmpty = true;
            this.#prevCr = false;
            continue;
          }
          this.#state = State.Data;
          return at;
        case State.DataCr:
          if (byte !== CR) throw this.fail('A chunk is longer than its size.');
          this.#state = State.DataLf;
          continue;
        case State.DataLf:
          if (byte !== LF) throw this.fail('A chunk does not end with CRLF.');
          this.#state = State.Size;
          this.#remaining = 0;
          this.#lineBytes = 0;
          return at;
        case State.Trailer:
          // Trailers are read and dropped, bounded by maxLineBytes in total.
          if (byte === LF) {
            if (!this.#prevCr) throw this.fail('A trailer line ends without CR.');
            if (this.#lineEmpty) {
              this.#state = State.Done;
              return at;
            }
            this.#lineEmpty = true;
          } else if (this.#prevCr) {
            throw this.fail('A trailer line holds a bare CR.');
          } else if (byte !== CR) {
            this.#lineEmpty = false;
          }
          this.#prevCr = byte === CR;
          continue;
        default:
          return at - 1;
      }
    }
    return at;
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  return -1;
}
