/**
 * Request limits of our own, beyond the configurable ones (`listen.maxHeaderBytes`, `listen.maxBodyBytes`):
 * the data plane's request parser (h1/request-parser.ts) refuses a request past any of them, and the
 * connection closes, since its following bytes cannot be trusted to be the next request.
 */

/** Requests with more header fields than this get 431 (Envoy's `max_headers_count`, HAProxy's default). */
export const MAX_REQUEST_HEADERS = 100;

/** Request targets longer than this get 414 (NGINX's default `large_client_header_buffers` is 8 KiB). */
export const MAX_URL_BYTES = 8_192;

/** Longest chunk-size line, and longest trailer section, of a chunked request body (400 beyond). */
export const MAX_CHUNK_LINE_BYTES = 8_192;
