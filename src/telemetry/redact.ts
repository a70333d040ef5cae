/**
 * Secret redaction for everything that leaves the process as text (logs, the admin `info` view). Two
 * layers, because neither alone is enough:
 *  - by key: values under keys that name a credential (authorization, api key, token, password, secret,
 *    cookie; case-insensitive, at any depth) are replaced whole, whatever their type;
 *  - by shape: inside any string, things that look like credentials (`Bearer …`, `sk-…`-style keys, JWTs,
 *    URL user-info passwords, `?api_key=` parameters) are masked, keeping at most a 4-character prefix so
 *    an operator can still tell two keys apart.
 * Known literal secrets (the admin token, endpoint API keys) can also be registered and are masked wherever
 * they appear, since they need not look like anything in particular.
 */

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * Keys whose values are credentials. `token` is matched unless followed by `s` or `iz`, so LLM usage
 * counts (`max_tokens`, `promptTokens`) and `tokenizer` stay readable while `token`, `access_token`,
 * `x-auth-token` and `tokenId` are hidden.
 */
const SECRET_KEY = /authorization|api[-_]?key|passw(?:or)?d|secret|cookie|token(?!s|iz)/i;

/** Masks a credential, keeping a 4-character prefix when it is long enough that the prefix reveals little. */
export function maskCredential(credential: string): string {
  return credential.length >= 12 ? `${credential.slice(0, 4)}…` : '…';
}

/** Shape rules applied to every string. Each replaces the credential part only. */
const STRING_RULES: ReadonlyArray<{ pattern: RegExp; replace: (...groups: string[]) => string }> = [
  // Authorization header values that ended up in a message.
  // `Basic` only capitalised, as in a header: lower-case "basic" is common in prose.
  {
    pattern: /\b([Bb]earer|BEARER|Basic)(\s+)([A-Za-z0-9._~+/=-]{8,})/g,
    replace: (_, scheme, space, c) => scheme! + space! + maskCredential(c!),
  },
  // OpenAI/Anthropic-style keys (sk-…, sk-proj-…, sk-ant-…), GitHub and Slack tokens.
  { pattern: /\b(?:sk|pk|rk)-[A-Za-z0-9_-]{8,}/g, replace: (c) => maskCredential(c!) },
  { pattern: /\bgh[pousr]_[A-Za-z0-9]{20,}/g, replace: (c) => maskCredential(c!) },
  { pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/g, replace: (c) => maskCredential(c!) },
  // JWTs: three base64url parts, the first always starts with `eyJ` (`{"`).
  { pattern: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g, replace: (c) => maskCredential(c!) },
  // Passwords in URL user-info: scheme://user:password@host.
  { pattern: /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s/@]+@/gi, replace: (_, head) => `${head}${REDACTED}@` },
  // Credentials passed as query parameters.
  {
    pattern: /([?&](?:api[-_]?key|key|token|access_token|password|secret)=)[^&\s#"']+/gi,
    replace: (_, head) => `${head}${REDACTED}`,
  },
];

/** Redacts credentials from values. Create one per logger; `addSecret` registers known literal secrets. */
export class Redactor {
  readonly #secrets = new Set<string>();

  constructor(secrets: Iterable<string | undefined> = []) {
    for (const s of secrets) this.addSecret(s);
  }

  /** Masks this exact string wherever it appears from now on. Ignores empty and very short values. */
  addSecret(secret: string | undefined): void {
    // Masking a 1–3 character string would shred ordinary text and protects nothing.
    if (secret && secret.length >= 4) this.#secrets.add(secret);
  }

  /** Whether a key names a credential. */
  static isSecretKey(key: string): boolean {
    return SECRET_KEY.test(key);
  }

  /** A string with every credential-shaped part masked. */
  string(text: string): string {
    let out = text;
    for (const secret of this.#secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    for (const rule of STRING_RULES) {
      rule.pattern.lastIndex = 0;
      out = out.replace(rule.pattern, rule.replace as (substring: string, ...args: string[]) => string);
    }
    return out;
  }

  /**
   * A deep copy of `value` that is safe to serialise: secret keys redacted, strings masked, Errors turned
   * into plain objects, cycles cut, depth bounded, bigints stringified, functions and symbols dropped.
   */
  value(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
    if (typeof value === 'string') return this.string(value);
    if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
      return value;
    }
    if (typeof value === 'bigint') return value.toString();
    if (typeof value !== 'object') return undefined;
    if (seen.has(value)) return '[Circular]';
    if (depth >= 8) return '[Truncated]';
    seen.add(value);
    try {
      if (value instanceof Error) return this.#error(value, depth, seen);
      if (value instanceof Date) return value.toISOString();
      if (Array.isArray(value)) return value.slice(0, 100).map((v) => this.value(v, depth + 1, seen));
      if (value instanceof Map) return this.value(Object.fromEntries(value), depth, new WeakSet());
      if (value instanceof Set) return this.value([...value], depth, new WeakSet());
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        // Booleans and nulls under a secret key (`hasApiKey: true`) reveal nothing and help debugging.
        const hides = v !== undefined && v !== null && typeof v !== 'boolean';
        out[k] = hides && SECRET_KEY.test(k) ? REDACTED : this.value(v, depth + 1, seen);
      }
      return out;
    } finally {
      seen.delete(value);
    }
  }

  #error(err: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
    const out: Record<string, unknown> = { name: err.name, message: this.string(err.message) };
    const extra = err as Error & { code?: unknown; status?: unknown };
    if (typeof extra.code === 'string' || typeof extra.code === 'number') out.code = extra.code;
    if (typeof extra.status === 'number') out.status = extra.status;
    if (err.stack) out.stack = this.string(err.stack);
    if (err.cause !== undefined) out.cause = this.value(err.cause, depth + 1, seen);
    return out;
  }
}
