/**
 * Serves one chat or completions request: submits it to the engine and turns the engine's tokens into a
 * response — one SSE chunk per engine step (or per `coalesce` tokens), or one JSON body at the end. It also
 * plays the mid-response faults (close, stall, malformed SSE, Content-Length lie) and cancels the engine
 * request the moment the client goes away, so its KV blocks are freed at once.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EngineRequest, FinishReason } from './engine-types.js';
import type { Fault } from './faults.js';
import type { GenerationRequest } from './openai-request.js';
import { tokenId as tokenIdOf, tokenText } from './output-text.js';
import type { RealtimeDriver } from './realtime.js';
import type { RequestLog, SimRequestRecord } from './records.js';
import {
  chatChunk,
  chatCompletion,
  completionChunk,
  type ResponseIdentity,
  SSE_DONE,
  sseData,
  textCompletion,
  usage,
  usageChunk,
} from './sse.js';

/** Everything one generation needs. */
export interface GenerationContext {
  driver: RealtimeDriver;
  log: RequestLog;
  req: IncomingMessage;
  res: ServerResponse;
  gen: GenerationRequest;
  fault: Fault | undefined;
  record: SimRequestRecord;
  /** Tokens per SSE chunk (1 = one chunk per engine step, as real engines send). */
  coalesce: number;
  identity: ResponseIdentity;
  /** Virtual time the request reached the server (before its body was read). */
  arrival: number;
}

/** Starts serving the request; returns once it is submitted (the response completes asynchronously). */
export function runGeneration(ctx: GenerationContext): void {
  const { driver, log, req, res, gen, record, identity } = ctx;
  const fault = ctx.fault;
  const stream = gen.stream && fault?.kind !== 'content-length-lie';
  const chat = gen.kind === 'chat';
  const objectName = chat ? 'chat.completion.chunk' : 'text_completion';
  let handle: EngineRequest | undefined;
  let done = false;
  /** Set once a stall fault fired: the client hanging up afterwards is the fault's doing, not an abort. */
  let stalled = false;
  let pending = '';
  let pendingCount = 0;
  let text = '';

  const finishAs = (outcome: 'ok' | 'aborted' | 'fault') => {
    if (done) return;
    done = true;
    if (handle) {
      driver.cancel(handle);
      record.completionTokens = handle.generated;
      record.cachedTokens = handle.cachedTokens;
      if (handle.firstTokenAt !== undefined) record.ttftMs = handle.firstTokenAt - handle.arrival;
    }
    log.end(record, outcome);
  };

  // The client went away (or we cut the connection): stop generating at once.
  res.on('close', () => {
    if (!done) finishAs(stalled ? 'fault' : 'aborted');
  });

  const cut = (mode: 'fin' | 'rst') => {
    finishAs('fault');
    const socket = req.socket;
    // Let what was already written reach the client first (an RST makes the receiver drop unread data): the
    // fault is the missing rest of the stream, not lost tokens.
    if (mode === 'rst') socket.write(Buffer.alloc(0), () => setTimeout(() => socket.resetAndDestroy(), 20));
    else socket.end();
  };

  const flush = (finish: FinishReason | null) => {
    if (pendingCount === 0 && finish === null) return;
    const chunk = chat
      ? chatChunk(identity, finish !== null && pending === '' ? {} : { content: pending }, finish)
      : completionChunk(identity, pending, finish);
    res.write(sseData(chunk));
    pending = '';
    pendingCount = 0;
  };

  const onToken = (index: number, _at: number, finish: FinishReason | undefined) => {
    if (done) return;
    const piece = tokenText(gen.seed, index);
    const sent = index + 1;
    if (!stream) {
      text += piece;
      if (fault?.kind === 'close-after' && sent >= fault.tokens && finish === undefined)
        return cut(fault.mode);
      if (fault?.kind === 'stall-after' && sent >= fault.tokens && finish === undefined) return stall();
      if (finish !== undefined) return respondWhole(finish);
      return;
    }
    if (index === 0 && chat)
      res.write(sseData(chatChunk(identity, { role: 'assistant', content: '' }, null)));
    pending += piece;
    pendingCount++;
    if (finish !== undefined) {
      flush(finish);
      const u = usage(gen.promptTokens.length, sent, handle?.cachedTokens ?? 0);
      if (gen.includeUsage) res.write(sseData(usageChunk(identity, objectName, u)));
      res.end(SSE_DONE);
      return finishAs('ok');
    }
    if (pendingCount >= ctx.coalesce) flush(null);
    if (fault?.kind === 'close-after' && sent >= fault.tokens) {
      flush(null);
      return cut(fault.mode);
    }
    if (fault?.kind === 'stall-after' && sent >= fault.tokens) {
      flush(null);
      return stall();
    }
    if (fault?.kind === 'bad-sse' && sent >= fault.tokens) {
      flush(null);
      res.end('data: {"id": "broken", "choices": [\n\n');
      return finishAs('fault');
    }
  };

  // A stalled response: the engine stops, the connection stays open and silent until the client gives up.
  const stall = () => {
    stalled = true;
    if (handle) driver.cancel(handle);
    record.completionTokens = handle?.generated ?? 0;
  };

  const respondWhole = (finish: FinishReason) => {
    const u = usage(gen.promptTokens.length, handle?.generated ?? 0, handle?.cachedTokens ?? 0);
    const body = JSON.stringify(
      chat ? chatCompletion(identity, text, finish, u) : textCompletion(identity, text, finish, u),
    );
    record.status = 200;
    if (fault?.kind === 'bad-sse') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body.slice(0, Math.floor(body.length / 2)));
      return finishAs('fault');
    }
    if (fault?.kind === 'content-length-lie') {
      const bytes = Buffer.from(body);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length + 64 });
      res.write(bytes, () => req.socket.destroy());
      return finishAs('fault');
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
    finishAs('ok');
  };

  // Submit before any byte is sent, so a request the engine refuses still gets a clean 400.
  handle = driver.submit(
    {
      promptTokens: gen.promptTokens,
      outputTokens: gen.outputTokens,
      finishReason: gen.finishReason,
      outputTokenId: (i) => tokenIdOf(gen.seed, i),
    },
    { onToken },
    ctx.arrival,
  );
  record.promptTokens = gen.promptTokens.length;

  if (stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    record.status = 200;
    if (fault?.kind === 'close-after' && fault.tokens === 0) {
      cut(fault.mode);
      return;
    }
    if (fault?.kind === 'bad-sse' && fault.tokens === 0) {
      res.end('data: {"id": "broken", "choices": [\n\n');
      finishAs('fault');
      return;
    }
  }
}
