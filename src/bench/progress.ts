/**
 * A one-line progress bar with ETA, completion rate and errors, redrawn in place on a terminal. In CI or when
 * stderr is not a terminal it prints nothing until `finish`, so logs stay readable.
 */

/** Receives completions from the runner. */
export interface ProgressSink {
  /** Corrects the total once the run knows how many requests it will send. */
  setTotal(total: number): void;
  /** One request finished (`ok` false for a failure). */
  done(ok: boolean): void;
  /** Stops redrawing and prints a final line. */
  finish(): void;
}

/** Whether a live bar makes sense: stderr is a TTY and `CI` is not set. */
export function interactive(stream: NodeJS.WriteStream = process.stderr): boolean {
  return Boolean(stream.isTTY) && !process.env.CI;
}

/**
 * A progress bar over `total` requests.
 * @param live redraw every 250 ms. Default: `interactive()`.
 */
export function createProgress(
  label: string,
  total: number,
  live = interactive(),
  stream: NodeJS.WriteStream = process.stderr,
): ProgressSink {
  const started = performance.now();
  let completed = 0;
  let errors = 0;
  const line = () => {
    const elapsed = (performance.now() - started) / 1000;
    const rate = elapsed > 0 ? completed / elapsed : 0;
    const eta = rate > 0 ? (total - completed) / rate : Number.NaN;
    const width = 24;
    const filled = total ? Math.round((completed / total) * width) : 0;
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const etaText = Number.isFinite(eta) ? `${Math.ceil(eta)}s` : '?';
    return `${label} ${bar} ${completed}/${total}  ${rate.toFixed(1)} req/s  errors ${errors}  ETA ${etaText}`;
  };
  const timer = live ? setInterval(() => stream.write(`\r\x1b[2K${line()}`), 250) : undefined;
  timer?.unref();
  return {
    setTotal(n) {
      total = n;
    },
    done(ok) {
      completed++;
      if (!ok) errors++;
    },
    finish() {
      if (timer) clearInterval(timer);
      if (live) stream.write(`\r\x1b[2K${line()}\n`);
    },
  };
}
