/**
 * Checks the schema cannot express because they span keys or need the registry: the strategy exists and
 * accepts its options, the admin API is not exposed without a token, names are unique, proxies are valid
 * addresses, ports do not collide, timers make sense. Each returns problems (start-up stops) or warnings
 * (start-up goes on; `fulcrum validate` prints them).
 */
import { isIP } from 'node:net';
import { createStrategy, hasStrategy, strategyNames } from '../balancer/registry.js';
import type { ConfigPath } from './errors.js';
import type { Config } from './schema.js';
import { didYouMean } from './suggest.js';

/** A problem or warning before its source is attached. */
export interface Finding {
  readonly path: ConfigPath;
  readonly message: string;
}

/** What the semantic checks found. */
export interface CheckResult {
  readonly problems: Finding[];
  readonly warnings: Finding[];
}

/** The message for an unknown strategy, listing the valid names (the registry grows; never hard-code it). */
export function unknownStrategyMessage(name: string): string {
  const names = strategyNames();
  return `unknown strategy "${name}"${didYouMean(name, names)}; valid strategies: ${names.join(', ')}`;
}

/** Whether a bind address is loopback-only: `localhost`, 127.0.0.0/8, `::1` (bracketed or not). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** Why `entry` is not an IP or CIDR, or undefined when it is one. */
export function invalidAddressOrCidr(entry: string): string | undefined {
  const slash = entry.indexOf('/');
  const ip = slash === -1 ? entry : entry.slice(0, slash);
  const version = isIP(ip);
  if (version === 0) return 'is not an IP address or CIDR (e.g. "10.0.0.0/8", "::1")';
  if (slash === -1) return undefined;
  const bits = entry.slice(slash + 1);
  const max = version === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return `has an invalid prefix length (0–${max})`;
  return undefined;
}

/**
 * Runs every semantic check on a schema-valid config. `explicit(path)` says whether the operator set a key
 * (rather than it being a default): some warnings are only worth giving about deliberate choices.
 */
export function checkConfig(
  config: Config,
  explicit: (path: ConfigPath) => boolean = () => true,
): CheckResult {
  const problems: Finding[] = [];
  const warnings: Finding[] = [];

  // Strategy: the name first (with the list of valid names), then its options, by building it once.
  const { name, options } = config.strategy;
  if (!hasStrategy(name)) {
    problems.push({ path: ['strategy', 'name'], message: unknownStrategyMessage(name) });
  } else {
    try {
      createStrategy(name, options, { random: Math.random, now: () => 0 });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      problems.push({ path: ['strategy', 'options'], message: `invalid options for "${name}": ${message}` });
    }
  }

  // Admin API: anyone who can reach it can drain endpoints, so off loopback it must require a token.
  const { admin, listen } = config;
  if (admin.enabled && admin.token === undefined && !isLoopbackHost(admin.host)) {
    problems.push({
      path: ['admin', 'token'],
      message: `required because admin.host "${admin.host}" is not a loopback address; set FULCRUM_ADMIN_TOKEN (or admin.token) to at least 16 random characters`,
    });
  }
  if (admin.enabled && admin.port !== 0 && admin.port === listen.port) {
    problems.push({
      path: ['admin', 'port'],
      message: `must differ from listen.port (both are ${admin.port}); use 0 for any free port`,
    });
  }

  // Endpoints: names identify endpoints in metrics, logs and the admin API, so they must be unique.
  const seenNames = new Map<string, number>();
  const seenUrls = new Map<string, number>();
  config.endpoints.forEach((e, i) => {
    const first = seenNames.get(e.name);
    if (first === undefined) seenNames.set(e.name, i);
    else {
      problems.push({
        path: ['endpoints', i, 'name'],
        message: `duplicate endpoint name "${e.name}" (also endpoints[${first}].name)`,
      });
    }
    const url = e.url.replace(/\/+$/, '');
    const sameUrl = seenUrls.get(url);
    if (sameUrl === undefined) seenUrls.set(url, i);
    else {
      warnings.push({
        path: ['endpoints', i, 'url'],
        message: `same URL as endpoints[${sameUrl}]; traffic to that server is counted twice`,
      });
    }
  });

  listen.trustedProxies.forEach((entry, i) => {
    const why = invalidAddressOrCidr(entry);
    if (why) problems.push({ path: ['listen', 'trustedProxies', i], message: `"${entry}" ${why}` });
  });

  // Retries go to endpoints not yet tried for the request, so more attempts than endpoints cannot all run.
  const { retry, health } = config;
  const n = config.endpoints.length;
  if (n > 0 && retry.maxAttempts > n && explicit(['retry', 'maxAttempts'])) {
    warnings.push({
      path: ['retry', 'maxAttempts'],
      message: `${retry.maxAttempts} attempts but only ${n} endpoint${n === 1 ? '' : 's'}; at most ${n} will be made`,
    });
  }
  retry.retryOnStatus.forEach((status, i) => {
    if (status < 500 && ![408, 409, 425, 429].includes(status)) {
      warnings.push({
        path: ['retry', 'retryOnStatus', i],
        message: `${status} is a client error; another endpoint will most likely answer the same`,
      });
    }
  });

  if (health.active.enabled && health.active.timeoutMs >= health.active.intervalMs) {
    problems.push({
      path: ['health', 'active', 'timeoutMs'],
      message: `must be less than health.active.intervalMs (${health.active.intervalMs}), or probes overlap`,
    });
  }
  if (health.passive.maxEjectionMs < health.passive.baseEjectionMs) {
    problems.push({
      path: ['health', 'passive', 'maxEjectionMs'],
      message: `must be at least health.passive.baseEjectionMs (${health.passive.baseEjectionMs})`,
    });
  }
  return { problems, warnings };
}
