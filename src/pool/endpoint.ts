/**
 * An endpoint: one upstream OpenAI-compatible server. The identity and configuration (`name`, `url`,
 * `weight`, models, credentials) are immutable; a weight change makes a new `Endpoint` that shares the same
 * live `state`, so a pool snapshot never changes under an in-flight pick.
 */

/** How an endpoint is declared, in config, on the command line or through the admin API. */
export interface EndpointSpec {
  /** Unique name, used in metrics, logs and the `x-fulcrum-backend` header. */
  name: string;
  /** Base URL, e.g. `http://127.0.0.1:8000` or `https://api.example.com/v1`-less origin plus optional path prefix. */
  url: string;
  /** Relative share of traffic for weighted strategies. Default 1. */
  weight?: number;
  /** Models served, as clients name them. When absent they are discovered from the endpoint's `/v1/models`. */
  models?: readonly string[];
  /** Sent upstream as `Authorization: Bearer <apiKey>`, replacing the client's header. Never logged. */
  apiKey?: string;
  /** Rewrites the client's model name to the endpoint's: `{ "gpt-4o-mini": "llama-3.1-8b" }`. */
  modelMap?: Readonly<Record<string, string>>;
  /**
   * Upper bound on pooled connections to this endpoint; requests beyond it wait for a free connection.
   * Default: no bound (each open stream holds a connection, as with NGINX's upstream keep-alive).
   */
  maxConnections?: number;
}

/** Live, mutable facts about an endpoint, shared across snapshots. Written by health, the proxy and admin. */
export interface EndpointState {
  /** Observed by active probes (with rise/fall hysteresis). Starts true, as NGINX and HAProxy do. */
  healthy: boolean;
  /** Operator intent: false means draining — no new requests, in-flight ones finish. */
  enabled: boolean;
  /** Passive outlier ejection: no new requests before this clock time (ms). 0 when not ejected. */
  ejectedUntil: number;
  /** How many times this endpoint was ejected; the ejection time grows with it. */
  ejections: number;
  /** Consecutive upstream failures seen by passive health. */
  consecutiveFailures: number;
  /** After a 429, no new requests before this clock time (ms). */
  cooldownUntil: number;
  /** Requests currently being served by this endpoint. */
  inflight: number;
  /** Total requests sent (attempts). */
  requests: number;
  /** Total attempts that ended in an upstream failure. */
  failures: number;
  /** Models reported by the endpoint's `/v1/models`, when discovered. */
  discoveredModels: ReadonlySet<string> | undefined;
  /** Short description of the last failure, for the admin API. Never contains secrets. */
  lastError: string | undefined;
}

function normaliseUrl(raw: string): URL {
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`endpoint URL must be http or https: ${url.protocol}`);
  }
  // `/v1` is part of the request path we forward, not of the endpoint's base.
  url.pathname = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  url.search = '';
  url.hash = '';
  return url;
}

export function newEndpointState(): EndpointState {
  return {
    healthy: true,
    enabled: true,
    ejectedUntil: 0,
    ejections: 0,
    consecutiveFailures: 0,
    cooldownUntil: 0,
    inflight: 0,
    requests: 0,
    failures: 0,
    discoveredModels: undefined,
    lastError: undefined,
  };
}

export class Endpoint {
  readonly name: string;
  /** `protocol//host:port`, the key for the upstream connection pool. */
  readonly origin: string;
  /** Path prefix prepended to forwarded paths ('' for most servers). */
  readonly basePath: string;
  readonly weight: number;
  readonly declaredModels: ReadonlySet<string> | undefined;
  readonly modelMap: Readonly<Record<string, string>>;
  readonly maxConnections: number | undefined;
  readonly state: EndpointState;
  readonly #apiKey: string | undefined;
  readonly #url: string;

  constructor(spec: EndpointSpec, state: EndpointState = newEndpointState()) {
    const url = normaliseUrl(spec.url);
    this.name = spec.name;
    this.origin = url.origin;
    this.basePath = url.pathname === '/' ? '' : url.pathname;
    this.#url = this.origin + this.basePath;
    this.weight = spec.weight ?? 1;
    this.declaredModels = spec.models ? new Set(spec.models) : undefined;
    this.modelMap = { ...(spec.modelMap ?? {}) };
    this.maxConnections = spec.maxConnections;
    this.#apiKey = spec.apiKey;
    this.state = state;
  }

  /** The normalised base URL (no trailing slash, no `/v1`). Safe to log. */
  get url(): string {
    return this.#url;
  }

  /** The upstream credential. Kept private so that JSON views and logs cannot include it by accident. */
  get apiKey(): string | undefined {
    return this.#apiKey;
  }

  /** The spec this endpoint was built from (with the secret), for rebuilding it with a change. */
  spec(): EndpointSpec {
    return {
      name: this.name,
      url: this.#url,
      weight: this.weight,
      models: this.declaredModels ? [...this.declaredModels] : undefined,
      apiKey: this.#apiKey,
      modelMap: this.modelMap,
      maxConnections: this.maxConnections,
    };
  }

  /** A copy with another weight, sharing the live state. */
  withWeight(weight: number): Endpoint {
    return new Endpoint({ ...this.spec(), weight }, this.state);
  }

  /**
   * Client-visible models: declared or discovered names plus the rewrite map's keys. `undefined` means not
   * known yet (discovery has not answered), in which case the endpoint is treated as serving any model.
   */
  models(): ReadonlySet<string> | undefined {
    const base = this.declaredModels ?? this.state.discoveredModels;
    const aliases = Object.keys(this.modelMap);
    if (!base) return aliases.length > 0 ? new Set(aliases) : undefined;
    if (aliases.length === 0) return base;
    return new Set([...base, ...aliases]);
  }

  /** Whether this endpoint can serve `model` (unknown model lists serve anything). */
  serves(model: string): boolean {
    const models = this.models();
    return models === undefined || models.has(model);
  }

  /** The model name to send upstream for a client's model name. */
  upstreamModel(model: string): string {
    return this.modelMap[model] ?? model;
  }

  /** A JSON view for the admin API and dashboard: no credentials. */
  toJSON(): Record<string, unknown> {
    const models = this.models();
    return {
      name: this.name,
      url: this.#url,
      weight: this.weight,
      models: models ? [...models].sort() : null,
      hasApiKey: this.#apiKey !== undefined,
      ...this.state,
      discoveredModels: this.state.discoveredModels ? [...this.state.discoveredModels].sort() : null,
    };
  }
}
