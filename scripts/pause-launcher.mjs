#!/usr/bin/env node
/**
 * Diagnostics, not a product feature: runs `fulcrum` exactly as bin/fulcrum.js does, and logs this process's
 * GC pauses and event-loop stalls as the bench's client and backends do under FULCRUM_BENCH_PAUSE_LOG (see
 * src/bench/proxy/pause-log.ts), so a slow window in a TTFC dump can be lined up with all three.
 *
 *   FULCRUM_BENCH_PAUSE_LOG=/tmp/p FULCRUM_BENCH_TTFC_DUMP=/tmp/ttfc npm run bench:proxy -- \
 *     --contenders nginx,fulcrum --phases sse --fulcrum-launcher scripts/pause-launcher.mjs
 *   node scripts/ttfc-stalls.mjs /tmp/ttfc /tmp/p
 */
const { startPauseLog } = await import(new URL('../dist/src/bench/proxy/pause-log.js', import.meta.url).href);
startPauseLog('fulcrum');
await import(new URL('../bin/fulcrum.js', import.meta.url).href);
