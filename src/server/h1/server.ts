/**
 * The data plane's HTTP/1.1 server: a `net.Server` whose connections are {@link ClientConnection}s instead
 * of node:http's. It keeps the part of `http.Server`'s surface the listener lifecycle uses (`listen`,
 * `close`, `closeIdleConnections`, `closeAllConnections`), so graceful shutdown reads the same.
 *
 * Why not node:http: with thousands of open streams, its per-connection objects (`IncomingMessage`,
 * `ServerResponse`, their stream states and bound listeners) were two thirds of the heap each stream held,
 * and the tail of time to first chunk followed the garbage collector's work on them (docs/benchmarks.md,
 * run 18).
 */
import net from 'node:net';
import { IntrusiveList } from '../../core/intrusive-list.js';
import { ClientConnection, type ConnectionSettings } from './connection.js';

export class H1Server extends net.Server {
  readonly #connections = new IntrusiveList<ClientConnection>();

  constructor(settings: ConnectionSettings) {
    super({ noDelay: true });
    // One callback for every connection: a connection keeps it for its whole life.
    const onClosed = (c: ClientConnection): void => this.#connections.unlink(c);
    this.on('connection', (socket: net.Socket) => {
      this.#connections.append(new ClientConnection(socket, settings, onClosed));
    });
  }

  /** Open client connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Closes the connections that are not receiving or answering a request. */
  closeIdleConnections(): void {
    for (let c = this.#connections.head; c; ) {
      const next = c.next;
      if (!c.busy) c.destroy();
      c = next;
    }
  }

  /** Closes every connection now. */
  closeAllConnections(): void {
    const all: ClientConnection[] = [];
    for (let c = this.#connections.head; c; c = c.next) all.push(c);
    for (const c of all) c.destroy();
  }
}
