/**
 * A mix of synthetic workloads: each component generates its share of the requests at its share of the
 * rate (weights are normalised), and the streams are merged by arrival time. Component seeds are derived
 * from the mix seed so that the whole mix is reproducible from one number.
 */
import type { BenchRequest, Workload } from '../workload.js';
import { finish } from './chat-sessions.js';

export interface MixComponent {
  /** Relative share of requests. */
  weight: number;
  /** Generates `requests` requests at `rate` req/s with `seed`. */
  generate(seed: number, requests: number, rate: number): Workload;
}

/**
 * @param seed  mix seed. Default 1.
 * @param requests total requests. Default 1000.
 * @param rate total mean rate, virtual req/s. Default 4.
 */
export function mix(components: readonly MixComponent[], seed = 1, requests = 1000, rate = 4): Workload {
  if (components.length === 0) throw new Error('a mix needs at least one component');
  const total = components.reduce((s, c) => s + c.weight, 0);
  if (!(total > 0)) throw new Error('mix weights must add up to more than 0');
  const out: Omit<BenchRequest, 'index'>[] = [];
  const names: string[] = [];
  let assigned = 0;
  components.forEach((c, k) => {
    const share = c.weight / total;
    const n = k === components.length - 1 ? requests - assigned : Math.round(requests * share);
    assigned += n;
    if (n <= 0) return;
    const w = c.generate(seed * 1000 + k + 1, n, rate * share);
    names.push(w.name);
    for (const r of w.requests) {
      const { index: _index, ...rest } = r;
      out.push(rest.session === undefined ? rest : { ...rest, session: `m${k}:${rest.session}` });
    }
  });
  return finish(`mix(${names.join(', ')})`, out);
}
