/**
 * The admin API's endpoint routes: list, add, remove, drain, enable and re-weight endpoints at run time.
 * Every change goes through the pool's own methods, so the pool publishes the `endpoint.change` event and
 * swaps its snapshot exactly as it does for discovery; nothing here touches endpoint state directly.
 */
import { z } from 'zod';
import { endpointSchema } from '../config/schema.js';
import { FulcrumError } from '../core/errors.js';
import type { Pool } from '../pool/pool.js';
import type { Logger } from '../telemetry/logger.js';

/** What a route handler answers: JSON by default, or text with its content type. */
export interface AdminReply {
  status: number;
  json?: unknown;
  text?: string;
  contentType?: string;
  headers?: Readonly<Record<string, string>>;
}

export interface AdminRequest {
  /** Decoded path parameters captured by the route's pattern. */
  params: readonly string[];
  /** Reads and parses the JSON body (bounded); throws a FulcrumError (400/408/413/415) on bad input. */
  readJson(): Promise<unknown>;
}

export type AdminMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';
export type AdminHandler = (req: AdminRequest) => AdminReply | Promise<AdminReply>;

export interface AdminRoute {
  /** Anchored pattern on the URL path; capture groups become `params`. */
  path: RegExp;
  methods: Partial<Record<AdminMethod, AdminHandler>>;
}

const weightPatch = z.strictObject({ weight: endpointSchema.shape.weight.unwrap() });

/**
 * Turns a zod failure into one precise message (`url: must be an http:// or https:// URL`) and the
 * OpenAI `param` of the first offending field. Zod's messages name types and bounds, never input values,
 * so an invalid `apiKey` is not echoed back.
 */
function invalid(what: string, error: z.ZodError): FulcrumError {
  const parts = error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const first = error.issues[0];
  const param =
    first === undefined
      ? undefined
      : first.path.length > 0
        ? first.path.map(String).join('.')
        : first.code === 'unrecognized_keys'
          ? first.keys[0]
          : undefined;
  return new FulcrumError('invalid_request', `Invalid ${what}: ${parts.join('; ')}`, { param });
}

function notFound(name: string): FulcrumError {
  return new FulcrumError('not_found', `No endpoint named "${name}".`);
}

/** The routes under /admin/endpoints. */
export function endpointRoutes(pool: Pool, logger: Logger): AdminRoute[] {
  const existing = (name: string) => {
    const e = pool.get(name);
    if (!e) throw notFound(name);
    return e;
  };
  const setEnabled = (enabled: boolean): AdminHandler => {
    return ({ params }) => {
      const name = params[0]!;
      existing(name);
      pool.setEnabled(name, enabled);
      logger.info(enabled ? 'admin: endpoint enabled' : 'admin: endpoint draining', { endpoint: name });
      return { status: 200, json: pool.get(name)!.toJSON() };
    };
  };

  return [
    {
      path: /^\/admin\/endpoints$/,
      methods: {
        GET: () => ({ status: 200, json: { data: pool.endpoints.map((e) => e.toJSON()) } }),
        POST: async (req) => {
          const parsed = endpointSchema.safeParse(await req.readJson());
          if (!parsed.success) throw invalid('endpoint', parsed.error);
          const spec = parsed.data;
          if (pool.get(spec.name)) {
            throw new FulcrumError('conflict', `An endpoint named "${spec.name}" already exists.`, {
              param: 'name',
            });
          }
          let endpoint: ReturnType<Pool['add']>;
          try {
            endpoint = pool.add(spec);
          } catch (err) {
            // Pool and Endpoint messages name the field at fault (protocol, duplicate), never a secret.
            throw new FulcrumError('invalid_request', `Invalid endpoint: ${(err as Error).message}`);
          }
          logger.addSecret(spec.apiKey);
          logger.info('admin: endpoint added', { endpoint: endpoint.name, url: endpoint.url });
          return {
            status: 201,
            json: endpoint.toJSON(),
            headers: { location: `/admin/endpoints/${encodeURIComponent(endpoint.name)}` },
          };
        },
      },
    },
    {
      path: /^\/admin\/endpoints\/([^/]+)$/,
      methods: {
        GET: ({ params }) => ({ status: 200, json: existing(params[0]!).toJSON() }),
        DELETE: ({ params }) => {
          const name = params[0]!;
          if (!pool.remove(name)) throw notFound(name);
          logger.info('admin: endpoint removed', { endpoint: name });
          return { status: 200, json: { name, deleted: true } };
        },
        PATCH: async (req) => {
          const name = req.params[0]!;
          existing(name);
          const parsed = weightPatch.safeParse(await req.readJson());
          if (!parsed.success) throw invalid('patch', parsed.error);
          // Re-checked: the endpoint may have been removed while the body was arriving.
          if (!pool.setWeight(name, parsed.data.weight)) throw notFound(name);
          logger.info('admin: endpoint weight changed', { endpoint: name, weight: parsed.data.weight });
          return { status: 200, json: pool.get(name)!.toJSON() };
        },
      },
    },
    { path: /^\/admin\/endpoints\/([^/]+)\/drain$/, methods: { POST: setEnabled(false) } },
    { path: /^\/admin\/endpoints\/([^/]+)\/enable$/, methods: { POST: setEnabled(true) } },
  ];
}
