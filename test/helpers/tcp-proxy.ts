import { createServer, createConnection, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy the test controls, in front of a real service: `cut()` drops
 * every open connection (both sides) as a network fault would, while the
 * service itself keeps running; new connections go through again at once,
 * unless `block()` refuses them until `unblock()`. `blackHole()` drops every
 * byte silently (no RST: connections hang, new ones are accepted and never
 * answered) until `restore()`, which lets them all flow again;
 * `holdReplies()` holds the service's side only.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private blocked = false;
  private holed = false;
  /** The pairs of sockets, to stop and restart their flow. */
  private readonly pairs = new Set<{ client: Socket; upstream?: Socket }>();
  /** The pairs whose replies {@link holdReplies} holds. */
  private readonly held = new Set<{ client: Socket; upstream?: Socket }>();
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
      const pair: { client: Socket; upstream?: Socket } = { client };
      this.pairs.add(pair);
      this.track(client, pair);
      if (!this.holed) this.connect(pair);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this;
  }

  /** Connects a pair upstream and lets bytes flow both ways. */
  private connect(pair: { client: Socket; upstream?: Socket }): void {
    const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
    pair.upstream = upstream;
    this.track(upstream, pair);
    pair.client.pipe(upstream);
    upstream.pipe(pair.client);
  }

  private track(socket: Socket, pair: { client: Socket; upstream?: Socket }): void {
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.pairs.delete(pair);
    });
    socket.on('error', () => {
      pair.client.destroy();
      pair.upstream?.destroy();
    });
  }

  /** Drops every byte from now on without a word (see the class comment). */
  blackHole(): void {
    this.holed = true;
    for (const { client, upstream } of this.pairs) {
      client.unpipe();
      upstream?.unpipe();
      client.pause();
      upstream?.pause();
    }
  }

  /** Ends the black hole: held connections flow again, waiting ones are connected. */
  restore(): void {
    this.holed = false;
    for (const pair of this.pairs) {
      if (!pair.upstream) {
        this.connect(pair);
        continue;
      }
      pair.client.pipe(pair.upstream);
      pair.upstream.pipe(pair.client);
      pair.client.resume();
      pair.upstream.resume();
    }
  }

  /**
   * Holds every byte the service sends on the open connections (the
   * clients' requests still reach it) until {@link releaseReplies}: its
   * answers, as a slow or lost network path would delay them.
   */
  holdReplies(): void {
    for (const pair of this.pairs) {
      if (!pair.upstream) continue;
      pair.upstream.unpipe(pair.client);
      pair.upstream.pause();
      this.held.add(pair);
    }
  }

  /** Delivers the held replies, in order, and lets the service's bytes flow again. */
  releaseReplies(): void {
    for (const { client, upstream } of this.held) {
      upstream?.pipe(client);
      upstream?.resume();
    }
    this.held.clear();
  }

  /** The local ports of the open upstream connections (the database's `client_port`s). */
  upstreamPorts(): number[] {
    return [...this.pairs].flatMap(({ upstream }) =>
      upstream?.localPort === undefined ? [] : [upstream.localPort],
    );
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
