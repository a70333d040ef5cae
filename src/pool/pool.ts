/**
 * The pool: the current set of endpoints as an immutable snapshot, swapped by reference when the set changes
 * (add, remove, weight change, discovery). A pick in flight keeps the snapshot it started with.
 *
 * The pool filters; strategies choose. `eligible()` returns the endpoints that may take a request for a
 * model: enabled, healthy, not ejected or cooling down, serving the model, not already tried.
 */
import type { Clock } from '../core/clock.js';
import type { TelemetryBus } from '../telemetry/events.js';
import { Endpoint, type EndpointSpec } from './endpoint.js';

/** What health may push into the pool. Only fields present are changed. */
export interface HealthPatch {
  /** Active-probe verdict. */
  healthy?: boolean;
  /** Passive ejection end (clock ms); 0 restores. */
  ejectedUntil?: number;
  /** 429 cool-down end (clock ms). */
  cooldownUntil?: number;
  /** Discovered model list. */
  discoveredModels?: ReadonlySet<string>;
  /** Reason for the change, for events and the admin API. */
  reason?: string;
}

/** Why no endpoint is eligible, so the router can answer 404, 503 with a precise message and Retry-After. */
export interface NoEligible {
  /** No endpoint (in any state) serves this model. */
  unknownModel: boolean;
  /** Earliest clock time at which a cooling-down or ejected endpoint comes back, if any. */
  retryAt: number | undefined;
}

export type PoolListener = (snapshot: readonly Endpoint[]) => void;

export class Pool {
  #snapshot: readonly Endpoint[];
  readonly #listeners = new Set<PoolListener>();

  constructor(
    specs: readonly EndpointSpec[],
    private readonly clock: Clock,
    private readonly telemetry: TelemetryBus,
  ) {
    assertUniqueNames(specs);
    this.#snapshot = Object.freeze(specs.map((s) => new Endpoint(s)));
  }

  /** The current snapshot. */
  get endpoints(): readonly Endpoint[] {
    return this.#snapshot;
  }

  get(name: string): Endpoint | undefined {
    return this.#snapshot.find((e) => e.name === name);
  }

  /** Called with the new snapshot after every change to the endpoint set (strategies rebuild here). */
  onChange(listener: PoolListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Endpoints that may take a new request for `model` (undefined: any model), minus those in `exclude`
   * (already tried).
   * Never ejects everything: when every healthy endpoint is passively ejected, they are all returned
   * (Envoy's panic mode) so clients get upstream errors rather than a blanket "no backend".
   */
  eligible(model: string | undefined, exclude?: ReadonlySet<string>): Endpoint[] {
    const now = this.clock.now();
    const serving: Endpoint[] = [];
    for (const e of this.#snapshot) {
      const s = e.state;
      if (!s.enabled || !s.healthy || s.cooldownUntil > now) continue;
      if (exclude?.has(e.name) || (model !== undefined && !e.serves(model))) continue;
      serving.push(e);
    }
    const notEjected = serving.filter((e) => e.state.ejectedUntil <= now);
    return notEjected.length > 0 ? notEjected : serving;
  }

  /** Explains an empty `eligible()` result. */
  whyNoneEligible(model: string | undefined): NoEligible {
    const now = this.clock.now();
    let retryAt: number | undefined;
    let anyServes = false;
    for (const e of this.#snapshot) {
      if (model !== undefined && !e.serves(model)) continue;
      anyServes = true;
      if (!e.state.enabled || !e.state.healthy) continue;
      const back = Math.max(e.state.cooldownUntil, e.state.ejectedUntil);
      if (back > now && (retryAt === undefined || back < retryAt)) retryAt = back;
    }
    return { unknownModel: !anyServes, retryAt };
  }

  /** Whether any endpoint (in any state) serves `model`. */
  knows(model: string): boolean {
    return this.#snapshot.some((e) => e.serves(model));
  }

  /** Sorted union of client-visible models over enabled, healthy endpoints with known model lists. */
  models(): string[] {
    const names = new Set<string>();
    for (const e of this.#snapshot) {
      if (!e.state.enabled || !e.state.healthy) continue;
      for (const m of e.models() ?? []) names.add(m);
    }
    return [...names].sort();
  }

  /**
   * Counts a request on an endpoint; call {@link untrack} exactly once when it is over there. A pair of
   * calls rather than a returned release function, because a stream holds whatever it is given for its
   * whole life (docs/architecture.md, hot-path rules); the forwarder releases in one place.
   */
  track(endpoint: Endpoint): void {
    endpoint.state.inflight += 1;
    endpoint.state.requests += 1;
  }

  /** Ends what {@link track} counted. */
  untrack(endpoint: Endpoint): void {
    endpoint.state.inflight -= 1;
  }

  /** The one method through which health pushes observed state in. Emits an event on each transition. */
  updateHealth(name: string, patch: HealthPatch): void {
    const e = this.get(name);
    if (!e) return;
    const s = e.state;
    const reason = patch.reason ?? '';
    if (patch.discoveredModels) s.discoveredModels = patch.discoveredModels;
    if (patch.healthy !== undefined && patch.healthy !== s.healthy) {
      s.healthy = patch.healthy;
      this.telemetry.emit('health', { endpoint: name, kind: 'active', healthy: patch.healthy, reason });
    }
    if (patch.ejectedUntil !== undefined) {
      const now = this.clock.now();
      if (patch.ejectedUntil > now) {
        s.ejections += 1;
        s.ejectedUntil = patch.ejectedUntil;
        const durationMs = patch.ejectedUntil - now;
        this.telemetry.emit('health', {
          endpoint: name,
          kind: 'ejected',
          healthy: false,
          reason,
          durationMs,
        });
      } else if (s.ejectedUntil !== 0) {
        s.ejectedUntil = 0;
        this.telemetry.emit('health', { endpoint: name, kind: 'restored', healthy: true, reason });
      }
    }
    if (patch.cooldownUntil !== undefined && patch.cooldownUntil > s.cooldownUntil) {
      s.cooldownUntil = patch.cooldownUntil;
      const durationMs = patch.cooldownUntil - this.clock.now();
      this.telemetry.emit('health', { endpoint: name, kind: 'cooldown', healthy: false, reason, durationMs });
    }
    if (reason && (patch.healthy === false || (patch.ejectedUntil ?? 0) > 0)) s.lastError = reason;
  }

  /** Adds an endpoint. Throws if the name is taken. */
  add(spec: EndpointSpec): Endpoint {
    if (this.get(spec.name)) throw new Error(`an endpoint named "${spec.name}" already exists`);
    const endpoint = new Endpoint(spec);
    this.#swap([...this.#snapshot, endpoint]);
    this.telemetry.emit('endpoint.change', { endpoint: spec.name, action: 'added' });
    return endpoint;
  }

  /** Removes an endpoint; its in-flight requests finish on the object they hold. */
  remove(name: string): boolean {
    if (!this.get(name)) return false;
    this.#swap(this.#snapshot.filter((e) => e.name !== name));
    this.telemetry.emit('endpoint.change', { endpoint: name, action: 'removed' });
    return true;
  }

  /** Changes an endpoint's weight (a new snapshot; live state is kept). */
  setWeight(name: string, weight: number): boolean {
    const e = this.get(name);
    if (!e) return false;
    this.#swap(this.#snapshot.map((x) => (x === e ? e.withWeight(weight) : x)));
    this.telemetry.emit('endpoint.change', { endpoint: name, action: 'weight' });
    return true;
  }

  /** Operator intent: `false` drains (no new requests, in-flight ones finish), `true` re-enables. */
  setEnabled(name: string, enabled: boolean): boolean {
    const e = this.get(name);
    if (!e) return false;
    if (e.state.enabled !== enabled) {
      e.state.enabled = enabled;
      this.telemetry.emit('endpoint.change', { endpoint: name, action: enabled ? 'enabled' : 'disabled' });
    }
    return true;
  }

  /**
   * Replaces the whole set (discovery returns a full list). Endpoints whose name and URL are unchanged keep
   * their live state; everything else is added or removed.
   */
  replaceAll(specs: readonly EndpointSpec[]): void {
    assertUniqueNames(specs);
    const old = new Map(this.#snapshot.map((e) => [e.name, e]));
    const next = specs.map((spec) => {
      const prev = old.get(spec.name);
      const fresh = new Endpoint(spec);
      return prev && prev.url === fresh.url ? new Endpoint(spec, prev.state) : fresh;
    });
    const nextNames = new Set(next.map((e) => e.name));
    this.#swap(next);
    for (const e of next) {
      if (!old.has(e.name)) this.telemetry.emit('endpoint.change', { endpoint: e.name, action: 'added' });
    }
    for (const name of old.keys()) {
      if (!nextNames.has(name)) this.telemetry.emit('endpoint.change', { endpoint: name, action: 'removed' });
    }
  }

  #swap(next: Endpoint[]): void {
    this.#snapshot = Object.freeze(next);
    for (const listener of this.#listeners) listener(this.#snapshot);
  }
}

function assertUniqueNames(specs: readonly EndpointSpec[]): void {
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) throw new Error(`duplicate endpoint name "${s.name}"`);
    seen.add(s.name);
  }
}
