/**
 * The one place that orders the middleware. Requests flow through the stages in the order listed here;
 * each stage may answer by itself (auth failure, cache hit, limit) or call the next one.
 *
 *   telemetry → [auth → limits → cache: planned] → route + retry (terminal)
 */
import type { Handler, Middleware } from './context.js';

/** Composes `stages` (outermost first) around `terminal`. */
export function compose(stages: readonly Middleware[], terminal: Handler): Handler {
  return stages.reduceRight<Handler>((next, stage) => stage(next), terminal);
}
