/**
 * Many deadlines of one fixed duration, kept in a single list with one timer.
 *
 * Why not one `setTimeout` each: the request path has several deadlines per request (request body,
 * upstream first byte, upstream idle between chunks), and each Node `Timeout` is an async resource linked
 * into the runtime's timer lists; at low concurrency the list for a duration empties and is rebuilt (and
 * the native timer re-armed) on every request. Here a deadline is one small object and no timer work:
 * deadlines of one duration expire in the order they were added, so a FIFO list needs no sorting — add
 * appends, cancel unlinks in O(1), refresh moves to the tail — and one timer always points at the head.
 */

import { IntrusiveList, ListNode } from './intrusive-list.js';

/** The timer functions used, injectable for tests (defaults: the global ones). */
export interface TimerApi {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const globalTimers: TimerApi = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // The list must never keep the process alive on its own.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** One registered deadline; pass it back to {@link DeadlineList.cancel} or {@link DeadlineList.refresh}. */
export interface Deadline {
  /** Clock ms at which it expires. */
  readonly at: number;
}

class Entry extends ListNode implements Deadline {
  constructor(
    public at: number,
    readonly onExpire: () => void,
  ) {
    super();
  }
}

/**
 * Deadlines that all last `durationMs`. `now` is a monotonic clock in ms (`performance.now()` by default);
 * `timers` schedule the single wake-up.
 */
export class DeadlineList {
  readonly #entries = new IntrusiveList<Entry>();
  #timer: unknown;
  /** When the armed timer fires (clock ms), or undefined when none is armed. */
  #timerAt: number | undefined;

  constructor(
    readonly durationMs: number,
    private readonly now: () => number = () => performance.now(),
    private readonly timers: TimerApi = globalTimers,
  ) {
    if (!(durationMs > 0)) throw new RangeError(`durationMs must be positive, got ${durationMs}`);
  }

  /** Deadlines currently pending. */
  get size(): number {
    return this.#entries.size;
  }

  /** Registers `onExpire` to run `durationMs` from now unless cancelled first. */
  add(onExpire: () => void): Deadline {
    const entry = new Entry(this.now() + this.durationMs, onExpire);
    this.#append(entry);
    return entry;
  }

  /**
   * Restarts a deadline's full duration from now, re-registering it if it had expired or been cancelled.
   * Costs no allocation, so it suits a deadline restarted on every chunk of a stream (an idle timeout).
   */
  refresh(deadline: Deadline): void {
    const entry = deadline as Entry;
    this.#entries.unlink(entry);
    entry.at = this.now() + this.durationMs;
    this.#append(entry);
  }

  #append(entry: Entry): void {
    this.#entries.append(entry);
    // An armed timer fires no later than the head's deadline, which is no later than this one: the fire
    // re-arms for whatever the head is then, so nothing more to do unless no timer is armed.
    if (this.#timerAt === undefined) this.#arm(entry.at);
  }

  /** Cancels a deadline; harmless if it already expired or was cancelled. */
  cancel(deadline: Deadline): void {
    // The timer stays armed even when the list empties: it fires once, finds nothing, and lapses. Clearing
    // and re-arming on every cancel would cost more than that one spare wake-up.
    this.#entries.unlink(deadline as Entry);
  }

  /** Cancels everything (shutdown); no callback runs. */
  clear(): void {
    this.#entries.drain();
    if (this.#timerAt !== undefined) this.timers.clearTimeout(this.#timer);
    this.#timer = this.#timerAt = undefined;
  }

  #arm(at: number): void {
    this.#timerAt = at;
    this.#timer = this.timers.setTimeout(this.#fire, Math.max(0, Math.ceil(at - this.now())));
  }

  readonly #fire = (): void => {
    this.#timer = this.#timerAt = undefined;
    const now = this.now();
    let head = this.#entries.head;
    // Callbacks may add or cancel entries; each expired one is unlinked before its callback runs.
    while (head && head.at <= now) {
      this.#entries.unlink(head);
      try {
        head.onExpire();
      } catch {
        // A failing callback must not stop the others or escape into the timer.
      }
      head = this.#entries.head;
    }
    if (head && this.#timerAt === undefined) this.#arm(head.at);
  };
}

/** The list for a timeout setting in ms, or undefined when the setting is 0 (off). */
export function deadlineListFor(ms: number, now?: () => number): DeadlineList | undefined {
  return ms > 0 ? new DeadlineList(ms, now) : undefined;
}
