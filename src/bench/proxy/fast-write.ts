/**
 * Writing a node:http response's stream events with as few syscalls and as little stream machinery as Node
 * allows: the bench's backends use it, since they share the machine with the proxy they serve. (Fulcrum's
 * data plane no longer runs on node:http; its responses write each event as one frame themselves,
 * src/server/h1/response.ts.)
 */
import type { ServerResponse } from 'node:http';

/** The `OutgoingMessage` internals {@link writeEvent} checks before bypassing it (Node 20–24 keep them). */
interface ResponseInternals {
  _headerSent?: boolean;
  outputData?: readonly unknown[];
}

const CRLF = 0x0d0a;

/**
 * Writes one stream event as a chunked-encoding frame straight to the socket: one buffer, one `write`.
 * `res.write` costs four buffered socket writes (size, CRLF, data, CRLF) joined into a `writev`, per event;
 * relaying events is most of a streaming proxy's work, and NGINX spends about half what Node does on it
 * (docs/benchmarks.md). The bypass is only taken when it cannot reorder bytes: the head has left, nothing of
 * this response is queued inside Node, the body is chunked, and no one holds a cork. Otherwise, and for the
 * response's end (`res.end` writes the last chunk), Node's own path is used.
 */
export function writeEvent(res: ServerResponse, event: Buffer): boolean {
  const socket = res.socket;
  const internals = res as unknown as ResponseInternals;
  if (
    !socket ||
    internals._headerSent !== true ||
    internals.outputData?.length !== 0 ||
    !res.chunkedEncoding ||
    res.writableEnded ||
    socket.writableCorked ||
    event.length === 0
  ) {
    return writeCorked(res, event);
  }
  const size = event.length.toString(16);
  const frame = Buffer.allocUnsafe(size.length + event.length + 4);
  let at = frame.write(size, 0, 'latin1');
  at = frame.writeUInt16BE(CRLF, at);
  at += event.copy(frame, at);
  frame.writeUInt16BE(CRLF, at);
  return socket.write(frame);
}

/**
 * `res.write` inside a cork, for stream events: Node's `write()` otherwise corks the socket itself and
 * schedules a `process.nextTick` to uncork it, for every chunk (the largest `nextTick` source in an
 * SSE-relay profile, `npm run bench:proxy -- --phases sse --profile DIR`). Corking here sends the event
 * with its chunked-encoding frame in one write now, and skips the tick. Not for plain bodies: there the
 * deferred uncork is what lets the last chunk and the end of the response share one write.
 */
function writeCorked(res: ServerResponse, chunk: Buffer): boolean {
  const socket = res.socket;
  if (!socket || socket.writableCorked) return res.write(chunk);
  socket.cork();
  const ok = res.write(chunk);
  socket.uncork();
  return ok;
}
