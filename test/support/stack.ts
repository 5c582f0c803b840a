import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Agent, type ClusterDriver, createAgent, createSimulatedDriver, type SimulatedLoad } from "@gantry/agent";
import {
  createHub,
  type Hub,
  type HubConfigInput,
  issueToken,
  type NatsAuthority,
  openDatabase,
  openNatsAuthority,
  type RunningNatsServer,
  silentLogger,
  startNatsServer,
} from "@gantry/hub";
import { type Fleet, type FleetCluster, type FleetInput, Fleet as FleetSchema } from "@gantry/shared";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { startTestNats } from "./nats.ts";
import { freePort } from "./ports.ts";
import { createTestDatabase, type TestDatabase } from "./postgres.ts";

export type DatabaseKind = "pglite" | "postgres";

export interface TestAgent {
  agent: Agent;
  driver: ClusterDriver;
}

/** A whole Gantry on this machine: a private nats-server, a hub on a fresh database, simulated agents. */
export interface Stack {
  nats: RunningNatsServer;
  /** The bus's authority (the hub mints agents' identities with it); absent when the stack runs without auth. */
  authority: NatsAuthority | undefined;
  /** The credentials file of a cluster's agent (auth on). */
  credsFile(cluster: string): string | undefined;
  /** A NATS connection that may only subscribe to `subjects` (a test watching the bus; anonymous when no auth). */
  observer(subjects: string[]): Promise<NatsConnection>;
  /** Start a nats-server again on the same port and with the same config (after a test killed it). */
  startNats(): Promise<RunningNatsServer>;
  hub: Hub;
  fleet: Fleet;
  agents: Map<string, TestAgent>;
  /** An admin token for the API; `api()` sends it unless `init` carries its own Authorization. */
  token: string;
  api(path: string, init?: RequestInit): Promise<Response>;
  /** Wait until the hub lists `count` clusters, all ready. */
  readyClusters(count: number): Promise<void>;
  /** Stop the hub and start a new one on the same database (state must survive). */
  restartHub(): Promise<void>;
  close(): Promise<void>;
}

export interface StackOptions {
  database: DatabaseKind;
  fleet: FleetInput;
  hub?: Partial<HubConfigInput>;
  /** Real seconds per simulated hour. */
  secondsPerHour?: number;
  /** Run the bus with JWT authentication, as `gantry up` does (default true). */
  natsAuth?: boolean;
  /** A load trace every simulated agent plays against its services (each with its own load state). */
  load?: SimulatedLoad;
}

/** A simulated cluster's agent with the short intervals tests want. */
export const startSimAgent = async (
  cluster: FleetCluster,
  natsUrl: string,
  secondsPerHour: number,
  natsCreds?: string,
  load?: SimulatedLoad,
): Promise<TestAgent> => {
  const driver = createSimulatedDriver({
    cluster,
    now: () => new Date(),
    secondsPerHour,
    tickMs: 100,
    ...(load ? { load: { ...load, state: new Map() } } : {}),
  });
  const agent = createAgent({
    config: {
      cluster: cluster.name,
      natsUrl,
      heartbeatIntervalMs: 300,
      statusIntervalMs: 1_000,
      resyncIntervalMs: 2_000,
      ...(natsCreds ? { natsCreds, credsCheckIntervalMs: 200 } : {}),
    },
    driver,
    logger: silentLogger(),
  });
  await agent.start();
  return { agent, driver };
};

export const startStack = async (options: StackOptions): Promise<Stack> => {
  const fleet = FleetSchema.parse(options.fleet);
  const authDir = options.natsAuth === false ? undefined : await mkdtemp(join(tmpdir(), "gantry-nats-"));
  const port = await freePort();
  const authority = authDir
    ? await openNatsAuthority({ dir: join(authDir, "authority"), servers: `nats://127.0.0.1:${port}` })
    : undefined;
  const natsConfig =
    authority && authDir
      ? { dir: join(authDir, "server"), text: authority.serverConfig({ port, resolverDir: join(authDir, "jwt") }) }
      : undefined;
  const startNats = () => (natsConfig ? startNatsServer({ port, config: natsConfig }) : startTestNats(port));
  let nats = await startNats();
  let pgdb: TestDatabase | undefined;
  let dataDir: string | undefined;
  if (options.database === "postgres") pgdb = await createTestDatabase();
  else dataDir = await mkdtemp(join(tmpdir(), "gantry-pglite-"));

  const hubConfig: HubConfigInput = {
    port: 0,
    natsUrl: nats.url,
    // Ten missed heartbeats before a cluster is unknown: a busy 2-core machine must not flap.
    unknownAfterMs: 5_000,
    offlineAfterMs: 10_000,
    queueIntervalMs: 500,
    relayIntervalMs: 500,
    ...(pgdb ? { databaseUrl: pgdb.url } : { dataDir }),
    ...options.hub,
  };
  const newHub = async () => {
    const database = await openDatabase(pgdb ? { url: pgdb.url } : { dataDir: dataDir ?? "memory://" });
    const h = await createHub({
      config: hubConfig,
      database,
      logger: silentLogger(),
      ...(authority ? { natsAuthority: authority } : {}),
    });
    await h.start();
    return { h, database };
  };
  let current = await newHub();
  for (const d of fleet.datasets) await current.h.store.datasets.put(d);
  const creds = new Map<string, string>();
  for (const { name, nodes: _nodes, health: _health, ...registration } of fleet.clusters) {
    const issued = await current.h.registerCluster(name, registration);
    if (issued.creds && authDir) {
      const file = join(authDir, `${name}.creds`);
      await writeFile(file, issued.creds, { mode: 0o600 });
      creds.set(name, file);
    }
  }
  const { token } = await issueToken(current.h.store.tokens, {
    name: "e2e-admin",
    role: "admin",
    tenant: null,
    createdBy: "test-stack",
    at: new Date(),
  });

  const agents = new Map<string, TestAgent>();
  for (const cluster of fleet.clusters) {
    agents.set(
      cluster.name,
      await startSimAgent(cluster, nats.url, options.secondsPerHour ?? 2, creds.get(cluster.name), options.load),
    );
  }

  const stack: Stack = {
    get nats() {
      return nats;
    },
    authority,
    credsFile: (cluster) => creds.get(cluster),
    async observer(subjects) {
      const user = authority
        ? await authority.mintUser({ name: "test-observer", permissions: { publish: [], subscribe: subjects } })
        : undefined;
      return connect({
        servers: nats.url,
        ...(user ? { authenticator: credsAuthenticator(new TextEncoder().encode(user.creds)) } : {}),
        maxReconnectAttempts: -1,
        reconnectTimeWait: 100,
      });
    },
    async startNats() {
      nats = await startNats();
      return nats;
    },
    get hub() {
      return current.h;
    },
    fleet,
    agents,
    token,
    api: (path, init) => {
      const headers = new Headers(init?.headers);
      if (!headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
      return fetch(`${current.h.url}/api/v1${path}`, { ...init, headers });
    },
    async readyClusters(count) {
      await eventually(async () => {
        const r = (await (await stack.api("/clusters?limit=1000")).json()) as { items: { health: string }[] };
        return r.items.length === count && r.items.every((c) => c.health === "ready") ? true : undefined;
      }, `${count} ready clusters`);
    },
    async restartHub() {
      await current.h.close();
      await current.database.close();
      current = await newHub();
    },
    async close() {
      for (const { agent } of agents.values()) await agent.close();
      await current.h.close();
      await current.database.close();
      await nats.stop();
      await pgdb?.drop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
      if (authDir) await rm(authDir, { recursive: true, force: true });
    },
  };
  return stack;
};

/** Poll `probe` until it returns a value (not undefined), or fail with the last observation. */
export const eventually = async <T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
};
