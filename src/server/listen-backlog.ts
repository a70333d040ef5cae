/**
 * How many connections the kernel may hold for a listener before it is accepted (the `listen()` backlog;
 * Linux caps it at `net.core.somaxconn`). The default of `listen.backlog`, and what the bench's NGINX,
 * minimal proxy and backends listen with, so no contender is limited by a shallower queue than another.
 *
 * Deep on purpose: a burst of new streams that arrives while the event loop is busy then waits in the queue
 * for a few milliseconds, instead of overflowing Node's default of 511 and having its SYNs dropped, which
 * costs each client a one-second retransmission (docs/benchmarks.md, run 14). A module of its own, without
 * dependencies, so that the bench's minimal proxy can share the figure without loading Fulcrum's config.
 */
export const DEFAULT_LISTEN_BACKLOG = 4096;
