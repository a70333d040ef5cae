/**
 * The router joins the pool and the strategy: the pool says which endpoints may take the request, the
 * strategy picks one. It rebuilds the strategy's per-endpoint state whenever the pool's snapshot changes, and
 * explains an empty choice as the right error (404 unknown model, 503 with Retry-After).
 */
import type { Clock } from '../core/clock.js';
import { FulcrumError } from '../core/errors.js';
import type { Endpoint } from '../pool/endpoint.js';
import type { Pool } from '../pool/pool.js';
import type { RouteRequest, Strategy } from './strategy.js';

export class Router {
  readonly #unsubscribe: () => void;

  constructor(
    private readonly pool: Pool,
    readonly strategy: Strategy,
    private readonly clock: Clock,
  ) {
    strategy.rebuild?.(pool.endpoints);
    this.#unsubscribe = pool.onChange((snapshot) => strategy.rebuild?.(snapshot));
  }

  /**
   * Picks an endpoint for `request`, excluding `tried`. `model` '' means "any endpoint" (pass-through
   * routes without a model). Throws a FulcrumError when there is none.
   */
  pick(request: RouteRequest, tried: ReadonlySet<string>): Endpoint {
    const model = request.model === '' ? undefined : request.model;
    const candidates = this.pool.eligible(model, tried);
    if (candidates.length > 0) {
      const chosen = this.strategy.pick(candidates, request);
      if (chosen) return chosen;
    }
    throw this.#explain(model, tried.size > 0);
  }

  #explain(model: string | undefined, retrying: boolean): FulcrumError {
    const why = this.pool.whyNoneEligible(model);
    if (why.unknownModel && !retrying) {
      return new FulcrumError(
        'model_not_found',
        model === undefined
          ? 'No endpoint is configured.'
          : `The model \`${model}\` does not exist or is not served by any endpoint.`,
        { param: 'model' },
      );
    }
    const waitMs = why.retryAt === undefined ? 1000 : Math.max(0, why.retryAt - this.clock.now());
    return new FulcrumError(
      'no_endpoint_available',
      model === undefined
        ? 'No endpoint is available right now.'
        : `No endpoint is available for model \`${model}\` right now.`,
      { retryAfterSec: Math.max(1, Math.ceil(waitMs / 1000)) },
    );
  }

  close(): void {
    this.#unsubscribe();
  }
}
