#!/usr/bin/env node
// Thin launcher: the CLI lives in the compiled dist/ tree (run `npm run build` first).
import v8 from 'node:v8';

// A larger young generation: a proxy allocates many short-lived objects per request, and V8's default
// semi-space (16 MiB) makes it scavenge so often that GC costs ~10 % of CPU under load. Measured with
// `npm run bench:proxy` (docs/benchmarks.md). NODE_OPTIONS wins if it sets the flag itself.
if (!/--max-semi-space-size/.test(process.env.NODE_OPTIONS ?? ''))
  v8.setFlagsFromString('--max-semi-space-size=32');

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
