import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  freePort,
  type NatsAuthority,
  openNatsAuthority,
  type RunningNatsServer,
  type ServerConfigOptions,
  startNatsServer,
} from "@gantry/hub";
import {
  type ConnectionOptions,
  connect,
  credsAuthenticator,
  type NatsConnection,
  type Status,
} from "@nats-io/transport-node";

/** A nats-server run from the authority's generated config, in a temporary folder it owns. */
export interface AuthNats {
  authority: NatsAuthority;
  url: string;
  port: number;
  /** The test's temporary folder: `authority/`, `server/` (config), `resolver/`. */
  dir: string;
  server: RunningNatsServer;
  /** Stops the server and starts it again on the same port and resolver dir, from `configText`. */
  restart(configText?: string): Promise<RunningNatsServer>;
  config(options?: Partial<ServerConfigOptions>): string;
  close(): Promise<void>;
}

export const startAuthNats = async (options: Partial<ServerConfigOptions> = {}): Promise<AuthNats> => {
  const dir = await mkdtemp(join(tmpdir(), "gantry-nats-auth-"));
  const port = await freePort();
  const url = `nats://127.0.0.1:${port}`;
  const authority = await openNatsAuthority({ dir: join(dir, "authority"), servers: url });
  const config = (extra: Partial<ServerConfigOptions> = {}) =>
    authority.serverConfig({ port, resolverDir: join(dir, "resolver"), ...options, ...extra });
  const start = (text: string) => startNatsServer({ port, config: { dir: join(dir, "server"), text } });
  const self: AuthNats = {
    authority,
    url,
    port,
    dir,
    server: await start(config()),
    config,
    async restart(configText) {
      await self.server.stop();
      self.server = await start(configText ?? config());
      return self.server;
    },
    async close() {
      await self.server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return self;
};

/** Connects with the text of a `.creds` file; no reconnects unless asked, so refusals surface. */
export const connectWithCreds = (
  url: string,
  creds: string,
  options: Partial<ConnectionOptions> = {},
): Promise<NatsConnection> =>
  connect({
    servers: url,
    authenticator: credsAuthenticator(new TextEncoder().encode(creds)),
    maxReconnectAttempts: 0,
    ...options,
  });

/** Records a connection's status events (errors, disconnects, reconnects) with when they happened. */
export const recordStatus = (nc: NatsConnection): { events: { at: number; status: Status }[] } => {
  const log = { events: [] as { at: number; status: Status }[] };
  void (async () => {
    for await (const status of nc.status()) log.events.push({ at: performance.now(), status });
  })();
  return log;
};
