import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback in front of a gateway: the fault hook for "the network dropped". `cut()`
 * destroys every connection through it at once (no close frame, as a dead path would), and new
 * connections go through again.
 */
export class TcpProxy {
  private readonly pairs = new Set<[Socket, Socket]>();
  /** Connections accepted so far. */
  accepted = 0;

  /** While true, a connection whose first bytes ask for a WebSocket upgrade is dropped (a proxy that breaks WebSockets). */
  refuseWebSockets = false;
  /** While true, a request that asks for Server-Sent Events is dropped with its connection. */
  refuseEventStreams = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static start(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        if (typeof address !== 'object' || !address) return reject(new Error('proxy has no address'));
        const proxy = new TcpProxy(server, address.port);
        server.on('connection', (client) => proxy.forward(client, targetPort));
        resolve(proxy);
      });
    });
  }

  /** `http://127.0.0.1:<port>/graphql` through the proxy. */
  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  /** Destroys every open connection through the proxy; returns how many were cut. */
  cut(): number {
    const count = this.pairs.size;
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    return count;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: Socket, targetPort: number): void {
    this.accepted += 1;
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const end = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    // Every request is looked at (keep-alive connections carry several), so a refused kind never gets through.
    client.on('data', (chunk: Buffer) => {
      if (this.refuses(chunk.toString('latin1'))) end();
      else upstream.write(chunk);
    });
    upstream.pipe(client);
  }

  private refuses(head: string): boolean {
    if (this.refuseWebSockets && /^upgrade:\s*websocket/im.test(head)) return true;
    // Only a stream request asks for nothing but events (urql's ordinary requests list them among others).
    return this.refuseEventStreams && /^accept:\s*text\/event-stream\s*$/im.test(head);
  }
}
