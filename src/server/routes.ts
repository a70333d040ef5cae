/**
 * Which paths the data plane serves and how. Only exact, normalised paths match: `//v1/...`, `/V1/...`,
 * dot segments or encoded dots get a 404 rather than a second interpretation (no path-confusion bypasses).
 */

/** How a request is handled. */
export type RouteKind =
  /** OpenAI inference APIs: JSON body with a required `model`, routed by model. */
  | 'inference'
  /** `GET /v1/models` and `GET /v1/models/{id}`, answered by Fulcrum from the pool. */
  | 'models'
  /** Any other `/v1/*`: passed through, routed by `model` when the JSON body has one. */
  | 'passthrough';

export interface Route {
  kind: RouteKind;
  /** For `models`: the requested model id, when the path names one. */
  modelId?: string;
}

const INFERENCE = new Set(['/v1/chat/completions', '/v1/completions', '/v1/embeddings']);
const SAFE_PATH = /^\/v1(\/[A-Za-z0-9_.~:@!$&'()*+,=-]+)+$/;

/** The route for a method and path, or a 404/405 description. */
export function matchRoute(
  method: string,
  path: string,
): Route | { error: 'not_found' | 'method_not_allowed' } {
  if (INFERENCE.has(path)) return method === 'POST' ? { kind: 'inference' } : { error: 'method_not_allowed' };
  if (path === '/v1/models') return method === 'GET' ? { kind: 'models' } : { error: 'method_not_allowed' };
  if (!SAFE_PATH.test(path) || path.split('/').some((seg) => seg === '.' || seg === '..')) {
    return { error: 'not_found' };
  }
  // `/v1/Chat/Completions` would pass through un-validated to an upstream that may match paths without
  // regard to case and serve it as chat completions: a case variant of a route we own is not ours to pass.
  const lower = path.toLowerCase();
  if (lower !== path && (INFERENCE.has(lower) || lower === '/v1/models' || lower.startsWith('/v1/models/'))) {
    return { error: 'not_found' };
  }
  if (path.startsWith('/v1/models/') && method === 'GET') {
    return { kind: 'models', modelId: decodeURIComponent(path.slice('/v1/models/'.length)) };
  }
  if (method !== 'GET' && method !== 'POST' && method !== 'DELETE') return { error: 'method_not_allowed' };
  return { kind: 'passthrough' };
}

/** Whether a method carries a request body we must read before routing. */
export function hasBody(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH';
}
