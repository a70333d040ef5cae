/**
 * Injected timers for the health loops. Production uses real `setTimeout` with `unref()`, so a pending probe
 * or ejection-expiry check never keeps the process alive; unit tests pass a manual scheduler and fire
 * callbacks themselves, together with a `ManualClock`.
 */

/** Schedules `fn` after `ms` milliseconds; returns a function that cancels it (idempotent). */
export type Schedule = (fn: () => void, ms: number) => () => void;

/** Real, unref'd timers. */
export const systemSchedule: Schedule = (fn, ms) => {
  const handle = setTimeout(fn, ms);
  handle.unref();
  return () => clearTimeout(handle);
};
