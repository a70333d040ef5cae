#!/usr/bin/env node
// Thin launcher: the CLI lives in the compiled dist/ tree (run `npm run build` first).
//
// No V8 tuning here on purpose. An earlier version called v8.setFlagsFromString('--max-semi-space-size=32')
// at this point; V8 sizes the young generation when the isolate starts, so the call had no effect (new space
// stayed at the default 2 × 16 MiB; only the command-line flag or NODE_OPTIONS changes it). Measured with the
// flag for real, alternating closed-loop rounds gave no gain (docs/benchmarks.md, "Run 12"), so Fulcrum runs
// with V8's defaults; NODE_OPTIONS=--max-semi-space-size=N still works for anyone who wants to try.
const { main } = await import('../dist/src/cli/main.js');

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
