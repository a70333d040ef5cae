/**
 * Who the client is. The socket peer is the client unless it is a configured trusted proxy; then
 * `X-Forwarded-For` is walked from the right, skipping trusted hops, and the first untrusted address is the
 * client. The leftmost entries are attacker-controlled and never believed on their own.
 */
import { BlockList, isIP } from 'node:net';

export class ClientIpResolver {
  readonly #trusted: BlockList | undefined;

  /** `trustedProxies`: IP addresses or CIDRs (`10.0.0.0/8`, `::1`). Throws on a malformed entry. */
  constructor(trustedProxies: readonly string[]) {
    if (trustedProxies.length === 0) return;
    const list = new BlockList();
    for (const entry of trustedProxies) addEntry(list, entry);
    this.#trusted = list;
  }

  /** The client address for a request from `peer` with the given `X-Forwarded-For` header value(s). */
  resolve(peer: string | undefined, forwardedFor: string | string[] | undefined): string {
    const socketIp = stripV4Mapped(peer ?? '');
    if (!this.#trusted || forwardedFor === undefined || !this.#isTrusted(socketIp)) return socketIp;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
      .split(',')
      .map((s) => stripV4Mapped(s.trim()))
      .filter((s) => s.length > 0);
    let client = socketIp;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      if (isIP(hop) === 0) return client; // garbage: stop at the last address we could verify
      client = hop;
      if (!this.#isTrusted(hop)) return hop;
    }
    return client;
  }

  #isTrusted(ip: string): boolean {
    const family = isIP(ip);
    if (family === 0 || !this.#trusted) return false;
    return this.#trusted.check(ip, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/** Validates one trusted-proxy entry; returns an error message or undefined. */
export function checkTrustedProxy(entry: string): string | undefined {
  try {
    addEntry(new BlockList(), entry);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function addEntry(list: BlockList, entry: string): void {
  const [addr = '', prefix, extra] = entry.split('/');
  const family = isIP(addr);
  if (family === 0 || extra !== undefined) throw new Error(`not an IP address or CIDR: "${entry}"`);
  const type = family === 6 ? 'ipv6' : 'ipv4';
  if (prefix === undefined) {
    list.addAddress(addr, type);
    return;
  }
  // Decimal digits only: Number('') is 0, so `10.0.0.0/` would otherwise trust every address.
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN;
  if (!Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32)) {
    throw new Error(`bad CIDR prefix in "${entry}"`);
  }
  list.addSubnet(addr, bits, type);
}

function stripV4Mapped(ip: string): string {
  return ip.slice(0, 7).toLowerCase() === '::ffff:' && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}
