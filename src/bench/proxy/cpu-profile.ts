/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`, e.g. `bench proxy --profile DIR`) and lists the
 * functions with the most self time, the first thing to look at before optimising a hot path.
 *
 *   node dist/src/bench/proxy/cpu-profile.js FILE.cpuprofile [TOP=25]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** The parts of V8's profile format used here. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** One function's share of the samples. */
export interface Hotspot {
  /** `name (file:line)`, with the path shortened to what follows node_modules/ or the repo's src/. */
  where: string;
  selfMs: number;
  /** Share of all sampled time, 0–100. */
  percent: number;
}

function shorten(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const cut = Math.max(path.lastIndexOf('node_modules/'), path.indexOf('/src/'));
  return cut >= 0 ? path.slice(cut) : path;
}

/** Sums self time per function (by name, file and line) and returns the `top` largest. */
export function hotspots(profile: CpuProfile, top = 25): Hotspot[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time since the previous sample: attribute it to the sample that follows it.
    const dt = Math.max(0, deltas[i] ?? 0);
    const frame = byId.get(samples[i]!)?.callFrame;
    if (!frame) continue;
    const name = frame.functionName || '(anonymous)';
    const key = frame.url ? `${name} (${shorten(frame.url)}:${frame.lineNumber + 1})` : name;
    selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
    total += dt;
  }
  return [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, us]) => ({ where, selfMs: us / 1000, percent: total > 0 ? (100 * us) / total : 0 }));
}

/**
 * Self time grouped by where the code lives — `src/…` files one by one, then undici, other packages, Node's
 * own JavaScript, and native/engine time — to separate the proxy's own cost from the platform's.
 */
export function byOrigin(profile: CpuProfile): Hotspot[] {
  const groups = new Map<string, number>();
  let total = 0;
  for (const h of hotspots(profile, Number.MAX_SAFE_INTEGER)) {
    const file = /\(([^)]*):\d+\)$/.exec(h.where)?.[1];
    let origin: string;
    if (h.where === '(idle)') continue;
    if (!file) origin = 'native, GC and engine';
    else if (file.startsWith('/src/')) origin = file;
    else if (file.startsWith('node_modules/undici/')) origin = 'undici';
    else if (file.startsWith('node_modules/')) origin = 'other packages';
    else if (file.startsWith('node:')) origin = "Node's JavaScript (node:*)";
    else origin = file;
    groups.set(origin, (groups.get(origin) ?? 0) + h.selfMs);
    total += h.selfMs;
  }
  return [...groups.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([where, ms]) => ({ where, selfMs: ms, percent: total > 0 ? (100 * ms) / total : 0 }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, top = '25'] = process.argv.slice(2);
  if (!file) {
    console.error('usage: cpu-profile FILE.cpuprofile [TOP]');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const idle = hotspots(profile, Number.MAX_SAFE_INTEGER).find((h) => h.where === '(idle)');
  console.log(
    `profile: ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s, idle ${idle?.percent.toFixed(1) ?? 0}%`,
  );
  const line = (h: Hotspot) =>
    `${h.percent.toFixed(1).padStart(5)}%  ${h.selfMs.toFixed(0).padStart(7)} ms  ${h.where}`;
  console.log('\nTop functions by self time (% of all samples):');
  for (const h of hotspots(profile, Number(top))) console.log(line(h));
  console.log('\nBusy time by origin (% of non-idle samples):');
  for (const h of byOrigin(profile)) console.log(line(h));
}
