/** Writing a JSON response, the one HTTP helper the simulator's routes share. */
import type { ServerResponse } from 'node:http';

/** Sends `body` as JSON with `status` and extra `headers`. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}
