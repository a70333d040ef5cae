/**
 * Ctrl-C handling for long bench commands: the first SIGINT/SIGTERM aborts the run (in-flight requests are
 * cancelled, children are stopped by their owners' `finally` blocks); a second one exits at once.
 */

/** Installs the handlers; call the returned function to remove them. */
export function abortOnSignals(
  controller: AbortController,
  log: (msg: string) => void = console.error,
): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      log(`\n${signal}: stopping, cleaning up (press Ctrl-C again to exit at once)`);
      controller.abort(new Error(`interrupted by ${signal}`));
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
