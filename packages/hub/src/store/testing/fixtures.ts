/** Builders and databases for the store's suites: each suite runs once on PGlite and once on PostgreSQL. */
import {
  API_VERSION,
  type Assignment,
  type CapacityReport,
  ClusterDescription,
  type Decision,
  type PlacementStatus,
  type Reservation,
  Workload,
  type WorkloadSpecInput,
} from "@gantry/shared";
import { inArray } from "drizzle-orm";
import { createTestDatabase } from "../../../../../test/support/postgres.ts";
import {
  type ClusterRow,
  createStore,
  type OpenDatabase,
  openDatabase,
  type Store,
  type WorkloadRow,
} from "../index.ts";
import { outbox } from "../schema.ts";

export type Kind = "pglite" | "postgres";
export const KINDS: readonly Kind[] = ["pglite", "postgres"];

export const T0 = new Date("2026-01-01T00:00:00Z");
/** `T0` plus `s` seconds. */
export const at = (s: number): Date => new Date(T0.getTime() + s * 1000);

let counter = 0;
/** A DNS-label name no other test in the process uses (a suite shares one database across its tests). */
export const unique = (prefix: string): string => `${prefix}-${++counter}`;

export interface TestStore {
  kind: Kind;
  database: OpenDatabase;
  store: Store;
  /** The PostgreSQL URL, when on PostgreSQL (a second connection pool on the same database). */
  url?: string;
  close(): Promise<void>;
}

/** A fresh, migrated database of this kind with a store on it. */
export const openTestStore = async (kind: Kind): Promise<TestStore> => {
  if (kind === "pglite") {
    const database = await openDatabase({ dataDir: "memory://" });
    return { kind, database, store: createStore(database.db), close: () => database.close() };
  }
  const pg = await createTestDatabase();
  const database = await openDatabase({ url: pg.url });
  return {
    kind,
    database,
    store: createStore(database.db),
    url: pg.url,
    close: async () => {
      await database.close();
      await pg.drop();
    },
  };
};

export const aWorkload = (name: string, spec: Partial<WorkloadSpecInput> = {}, tenant = "team-a"): Workload =>
  Workload.parse({
    apiVersion: API_VERSION,
    kind: "Workload",
    metadata: { name, tenant },
    spec: { type: "job", replicas: 2, resources: { gpu: { count: 4 } }, ...spec },
  });

export const aDescription = (name: string, over: Partial<ClusterDescription> = {}): ClusterDescription =>
  ClusterDescription.parse({ name, tier: "cloud", region: "r", ...over });

export const aDecision = (assignments: Partial<Assignment>[], over: Partial<Decision> = {}): Decision => ({
  feasible: true,
  assignments: assignments.map((a) => ({
    cluster: "c",
    replicas: 1,
    spot: false,
    nodes: [],
    pricePerGpuHour: 2,
    ...a,
  })),
  estimatedCost: { total: 8, perHour: 8, compute: 8, egress: 0 },
  clusters: [],
  runnerUp: null,
  summary: "placed on the cheapest cluster",
  ...over,
});

/** A reservation of `gpus` on node n-0 (the engine's key is the workload's uid). */
export const aReservation = (uid: string, cluster: string, gpus = 4): Reservation => ({
  workload: uid,
  cluster,
  nodes: [{ node: "n-0", gpus, cpu: 0, memoryGiB: 0 }],
});

/** What an agent reports about its placement of `w` at `generation`. */
export const aStatus = (
  w: Pick<WorkloadRow, "uid" | "tenant" | "name">,
  generation: number,
  over: Partial<PlacementStatus> = {},
): PlacementStatus => ({
  uid: w.uid,
  tenant: w.tenant,
  workload: w.name,
  generation,
  phase: "Running",
  replicas: 1,
  readyReplicas: 1,
  message: "running",
  events: [],
  ...over,
});

/** One 8 × A100 node with `gpusUsed` taken, accounting for the given workload generations. */
export const aCapacity = (accounted: { uid: string; generation: number }[] = [], gpusUsed = 4): CapacityReport => ({
  nodes: [
    {
      name: "n-0",
      count: 1,
      gpu: { model: "A100", count: 8, memoryGiB: 80 },
      gpusUsed,
      cpu: 0,
      cpuUsed: 0,
      memoryGiB: 0,
      memoryUsedGiB: 0,
      ready: true,
      schedulable: true,
      labels: {},
    },
  ],
  accountedWorkloads: accounted,
  datasets: [],
});

/** Register clusters with the operator's registration (so they get work and their revisions exist). */
/** A registered cluster's row as the store returns it, never heard from (a fleet view's `upsert` takes it). */
export const aClusterRow = (description: ClusterDescription, at: Date = T0): ClusterRow => ({
  name: description.name,
  state: "registered",
  registration: {},
  description,
  reported: null,
  agentId: "a",
  driver: "simulated",
  agentVersion: "1",
  capacity: null,
  lastSeenAt: null,
  revision: 0,
  createdAt: at,
  registeredAt: at,
  revokedAt: null,
});

export const registered = async (store: Store, ...names: string[]): Promise<string[]> => {
  for (const name of names) await store.clusters.register(name, { tier: "cloud", region: "r" }, T0);
  return names;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until `check` holds, polling; throws with `what` when it does not within `ms`. */
export const eventually = async (check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> => {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() >= deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
};

/** How many outbox rows (published or not) name each of `clusters`: one per desired-state change queued. */
export const outboxCounts = async (store: Store, clusters: readonly string[]): Promise<Record<string, number>> => {
  const out: Record<string, number> = Object.fromEntries(clusters.map((c) => [c, 0]));
  const rows = await store.db
    .select({ cluster: outbox.cluster })
    .from(outbox)
    .where(inArray(outbox.cluster, [...clusters]));
  for (const r of rows) out[r.cluster] = (out[r.cluster] ?? 0) + 1;
  return out;
};
