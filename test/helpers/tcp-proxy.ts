import { createServer, createConnection, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy the test controls, in front of a real service: `cut()` drops
 * every open connection (both sides) as a network fault would, while the
 * service itself keeps running; new connections go through again at once,
 * unless `block()` refuses them until `unblock()`.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private blocked = false;
  /** The port clients should connect to (after `start()`). */
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Listens on a free port of 127.0.0.1. */
  async start(): Promise<this> {
    this.server = createServer((client) => {
      if (this.blocked) {
        client.destroy();
        return;
      }
      const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this;
  }

  /** Connections currently open through the proxy (client side and upstream side). */
  get openSockets(): number {
    return this.sockets.size;
  }

  /** Drops every open connection abruptly (RST), both ways. */
  cut(): void {
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }

  /** Refuses new connections until {@link unblock}. */
  block(): void {
    this.blocked = true;
  }

  /** Accepts new connections again. */
  unblock(): void {
    this.blocked = false;
  }

  /** Cuts everything and stops listening. */
  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}
