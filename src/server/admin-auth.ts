/**
 * Admin listener security: where it may bind without a token, and the bearer-token check. The admin API can
 * add endpoints (that is, redirect traffic anywhere), so off-loopback it must be authenticated; we refuse to
 * start rather than warn, because a warning in a log nobody reads is an open door.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** Whether `host` only accepts connections from this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  const family = isIP(h);
  if (family === 4) return h.startsWith('127.');
  if (family === 6) {
    if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
    // IPv4-mapped loopback (::ffff:127.0.0.1).
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped !== null && mapped[1]!.startsWith('127.');
  }
  // Any other name may resolve to a routable address.
  return false;
}

/** Throws a start-up error when the admin listener would be reachable from the network without a token. */
export function assertSafeAdminBinding(host: string, token: string | undefined): void {
  if (token !== undefined && token.length > 0) return;
  if (isLoopbackHost(host)) return;
  throw new Error(
    `admin listener on non-loopback address "${host}" requires admin.token ` +
      '(set admin.token to a secret of at least 16 characters, or bind admin.host to 127.0.0.1)',
  );
}

/** A digest so that the comparison below runs on equal-length inputs whatever the client sends. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * A checker for `Authorization: Bearer <token>`. Compares in constant time (on SHA-256 digests, so neither
 * the token's content nor its length leaks through timing). With no token configured everything passes.
 */
export function bearerChecker(token: string | undefined): (authorization: string | undefined) => boolean {
  if (token === undefined || token.length === 0) return () => true;
  const expected = digest(token);
  return (authorization) => {
    const m = authorization === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    // Still hash something on a malformed header, so the failure takes the same time as a wrong token.
    const given = digest(m?.[1] ?? '');
    return timingSafeEqual(given, expected) && m !== null;
  };
}
