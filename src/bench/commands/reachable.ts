/** Start-up check of a target URL, so an unreachable one fails at once with its address in the message. */
import { request } from 'undici';

/** Resolves with the model ids the target lists (possibly none); throws when nothing answers. */
export async function checkReachable(url: string): Promise<string[]> {
  try {
    const res = await request(new URL('/v1/models', url), {
      method: 'GET',
      headersTimeout: 5000,
      bodyTimeout: 5000,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) return [];
    try {
      const body = JSON.parse(text) as { data?: { id?: unknown }[] };
      return (body.data ?? []).flatMap((m) => (typeof m.id === 'string' ? [m.id] : []));
    } catch {
      return [];
    }
  } catch (err) {
    const e = err as { code?: string; message?: string };
    throw new Error(
      `cannot reach ${url}: ${e.code ?? ''} ${e.message ?? String(err)}`.replace(/\s+/g, ' ').trim(),
    );
  }
}
