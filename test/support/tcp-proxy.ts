import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/** What the proxy does with traffic right now. */
export type ProxyMode = "open" | "cut" | "blackhole";

/**
 * A TCP proxy on 127.0.0.1 in front of one server (PostgreSQL, NATS), to make a network fault on demand:
 * - `cut()`: every connection is reset at once and new ones are reset on arrival (a crashed link, a firewall RST);
 * - `blackhole()`: connections stay open but nothing passes either way, and new ones are accepted and never answered
 *   (a partition: packets dropped, peers find out only by their own timeouts);
 * - `restore()`: traffic flows again; connections held by a blackhole resume where they were (TCP retransmits).
 */
export interface TcpProxy {
  readonly port: number;
  readonly mode: ProxyMode;
  /** Connections currently open through the proxy. */
  readonly connections: number;
  cut(): void;
  blackhole(): void;
  restore(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream?: Socket;
}

export const startTcpProxy = async (target: { host?: string; port: number }, listenPort = 0): Promise<TcpProxy> => {
  const host = target.host ?? "127.0.0.1";
  let mode: ProxyMode = "open";
  const pairs = new Set<Pair>();

  const drop = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  };

  /** Start forwarding a held (or new) connection to the server. */
  const forward = (pair: Pair) => {
    if (pair.upstream) return;
    const upstream = tcpConnect(target.port, host);
    pair.upstream = upstream;
    upstream.on("error", () => drop(pair));
    upstream.on("close", () => drop(pair));
    pair.client.pipe(upstream);
    upstream.pipe(pair.client);
  };

  const reset = (socket: Socket) => {
    // An RST, not a FIN: the peer sees ECONNRESET, as with a link that died.
    if (typeof socket.resetAndDestroy === "function") socket.resetAndDestroy();
    else socket.destroy();
  };

  const server: Server = createServer((client) => {
    client.on("error", () => undefined);
    if (mode === "cut") return reset(client);
    const pair: Pair = { client };
    pairs.add(pair);
    client.on("close", () => drop(pair));
    if (mode === "open") forward(pair);
    // Blackholed: accepted, nothing read, nothing sent (the client's connect succeeds and then hears nothing).
    else client.pause();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenPort, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : listenPort;

  return {
    port,
    get mode() {
      return mode;
    },
    get connections() {
      return pairs.size;
    },
    cut() {
      mode = "cut";
      for (const pair of [...pairs]) {
        pairs.delete(pair);
        reset(pair.client);
        if (pair.upstream) reset(pair.upstream);
      }
    },
    blackhole() {
      mode = "blackhole";
      for (const pair of pairs) {
        // Stop reading both ways: bytes wait in the kernel's buffers as they would in a dropped link's retransmits.
        pair.client.unpipe();
        pair.upstream?.unpipe();
        pair.client.pause();
        pair.upstream?.pause();
      }
    },
    restore() {
      const was = mode;
      mode = "open";
      if (was !== "blackhole") return;
      for (const pair of pairs) {
        if (!pair.upstream) {
          pair.client.resume();
          forward(pair);
          continue;
        }
        pair.client.pipe(pair.upstream);
        pair.upstream.pipe(pair.client);
        pair.client.resume();
        pair.upstream.resume();
      }
    },
    async close() {
      for (const pair of [...pairs]) drop(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
