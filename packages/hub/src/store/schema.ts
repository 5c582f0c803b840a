import type {
  AutoscalingStatus,
  Budget,
  BurstPolicy,
  CapacityReport,
  ClusterDescription,
  Dataset,
  Decision,
  Placement,
  PlacementStatus,
  Reservation,
  StagingItem,
  Workload,
} from "@gantry/shared";
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/** Resource versions: every change a watcher should see takes the next value (see `workloads.rv`). */
export const rvSequence = pgSequence("gantry_rv");

/**
 * Clusters known to the hub. `state` says whether the operator registered it (`registered`: it gets work), an agent
 * announced it without registration (`pending`: recorded like a CSR, no work until approved) or it was revoked.
 * `registration` holds what the operator set (it wins over what the agent reports); `description` is the effective
 * description the engine uses. Capacity and last-seen are soft state kept in memory; these columns are a batched
 * checkpoint so a restarted hub has a view before the first heartbeats.
 */
export const clusters = pgTable("clusters", {
  name: text("name").primaryKey(),
  state: text("state").$type<ClusterState>().notNull().default("registered"),
  registration: jsonb("registration").$type<ClusterRegistration>(),
  description: jsonb("description").$type<ClusterDescription>().notNull(),
  /** What the agent last said about itself in its hello. */
  reported: jsonb("reported").$type<ClusterDescription>(),
  agentId: text("agent_id"),
  driver: text("driver"),
  agentVersion: text("agent_version"),
  capacity: jsonb("capacity").$type<CapacityReport>(),
  lastSeenAt: timestamp("last_seen_at", { withTimezone: true, mode: "date" }),
  /** Grows with every change of this cluster's desired state (see DesiredState.revision). */
  revision: integer("revision").notNull().default(0),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  registeredAt: timestamp("registered_at", { withTimezone: true, mode: "date" }),
  revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
});

export type ClusterState = "registered" | "pending" | "revoked";
/** What an operator sets when registering a cluster; unset fields come from the agent's hello. */
export type ClusterRegistration = Partial<Omit<ClusterDescription, "name">>;

/** NATS identities issued to clusters' agents: a rotated key keeps working until `notAfter`, a revoked one never. */
export const clusterCredentials = pgTable(
  "cluster_credentials",
  {
    publicKey: text("public_key").primaryKey(),
    cluster: text("cluster").notNull(),
    issuedAt: timestamp("issued_at", { withTimezone: true, mode: "date" }).notNull(),
    /** End of the grace period of a rotated key; it is revoked then. */
    notAfter: timestamp("not_after", { withTimezone: true, mode: "date" }),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [index("cluster_credentials_cluster_idx").on(t.cluster)],
);

/**
 * Workloads are named within their tenant; `uid` tells one incarnation from the next (a workload deleted and
 * submitted again under the same name is a new uid, so a late report about the old one can never touch the new one).
 * `rv` (resource version) grows with every change a watcher should see.
 */
export const workloads = pgTable(
  "workloads",
  {
    uid: text("uid").primaryKey(),
    tenant: text("tenant").notNull(),
    name: text("name").notNull(),
    manifest: jsonb("manifest").$type<Workload>().notNull(),
    /** SHA-256 of the canonical spec: a retried submit of the same spec is recognised. */
    specHash: text("spec_hash").notNull().default(""),
    idempotencyKey: text("idempotency_key"),
    phase: text("phase").notNull(),
    message: text("message").notNull().default(""),
    /** Why the scheduler set it aside (its decision failed); it is not retried until changed. */
    quarantine: text("quarantine"),
    /** Bumped whenever the workload's placement changes. */
    generation: integer("generation").notNull().default(0),
    priority: integer("priority").notNull().default(0),
    /** Latest decision id (see decisions). */
    decisionId: text("decision_id"),
    rv: bigint("rv", { mode: "number" }).notNull().default(sql`nextval('gantry_rv')`),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    placedAt: timestamp("placed_at", { withTimezone: true, mode: "date" }),
    /** The burst policy that governs it, the pool it was placed in, and why (for `explain`). */
    policy: text("policy"),
    pool: text("pool"),
    poolNote: text("pool_note"),
    /** A service's last autoscaling pass and recent scaling decisions (`status.autoscaling`). */
    autoscaling: jsonb("autoscaling").$type<AutoscalingStatus>(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    uniqueIndex("workloads_tenant_name_idx").on(t.tenant, t.name),
    uniqueIndex("workloads_idempotency_idx").on(t.tenant, t.idempotencyKey),
    index("workloads_phase_idx").on(t.phase),
    index("workloads_rv_idx").on(t.rv),
  ],
);

/** Deleted workloads, for watchers resuming from a resource version; pruned after a while. */
export const workloadTombstones = pgTable("workload_tombstones", {
  uid: text("uid").primaryKey(),
  tenant: text("tenant").notNull(),
  name: text("name").notNull(),
  rv: bigint("rv", { mode: "number" }).notNull(),
  deletedAt: timestamp("deleted_at", { withTimezone: true, mode: "date" }).notNull(),
});

/** The desired state: this workload runs `replicas` replicas in `cluster`. */
export const placements = pgTable(
  "placements",
  {
    uid: text("uid")
      .notNull()
      .references(() => workloads.uid, { onDelete: "cascade" }),
    cluster: text("cluster").notNull(),
    tenant: text("tenant").notNull(),
    workload: text("workload").notNull(),
    replicas: integer("replicas").notNull(),
    generation: integer("generation").notNull(),
    decisionId: text("decision_id").notNull(),
    spot: boolean("spot").notNull().default(false),
    gpuModel: text("gpu_model"),
    pricePerGpuHour: doublePrecision("price_per_gpu_hour").notNull().default(0),
    /** Data its agent copies in before starting it (the decision's staging plan for this cluster). */
    staging: jsonb("staging").$type<StagingItem[]>().notNull().default([]),
    /** A service's endpoint weights in this cluster (per user region, the share sent here). */
    routing: jsonb("routing").$type<Record<string, number>>(),
    /** False once the hub no longer wants it in the cluster (finished, moved); kept for history. */
    active: boolean("active").notNull().default(true),
    status: jsonb("status").$type<PlacementStatus>(),
    /** Sequence number of the agent message the status came from: reports apply in order, late ones are ignored. */
    statusSeq: bigint("status_seq", { mode: "number" }).notNull().default(0),
    /** Since when the cluster's full reports have not listed it (the agent lost it); cleared when listed again. */
    missingSince: timestamp("missing_since", { withTimezone: true, mode: "date" }),
    pool: text("pool"),
    policy: text("policy"),
    gpusPerReplica: integer("gpus_per_replica").notNull().default(0),
    /** Cost has been accrued up to here. */
    accruedUntil: timestamp("accrued_until", { withTimezone: true, mode: "date" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.uid, t.cluster] }), index("placements_cluster_idx").on(t.cluster, t.active)],
);

/** Every decision the engine made, with its full explanation. */
export const decisions = pgTable("decisions", {
  id: text("id").primaryKey(),
  uid: text("uid").notNull(),
  tenant: text("tenant").notNull(),
  workload: text("workload").notNull(),
  decision: jsonb("decision").$type<Decision>().notNull(),
  feasible: boolean("feasible").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

/** Capacity promised to a placement until the cluster's reports account for it. */
export const reservations = pgTable(
  "reservations",
  {
    /** The workload's uid (the engine's reservation key). */
    uid: text("uid").notNull(),
    cluster: text("cluster").notNull(),
    generation: integer("generation").notNull(),
    nodes: jsonb("nodes").$type<Reservation["nodes"]>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.uid, t.cluster] })],
);

export const datasets = pgTable("datasets", {
  name: text("name").primaryKey(),
  sizeGB: doublePrecision("size_gb").notNull(),
  locations: jsonb("locations").$type<string[]>().notNull(),
  source: text("source"),
  mover: jsonb("mover").$type<NonNullable<Dataset["mover"]>>(),
  shards: integer("shards"),
});

/**
 * Transactional outbox: a change of a cluster's desired state is recorded in the same transaction
 * as the change; the relay publishes the cluster's full desired state and marks the row.
 */
export const outbox = pgTable("outbox", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  cluster: text("cluster").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  publishedAt: timestamp("published_at", { withTimezone: true, mode: "date" }),
});

/** Operators' burst policies (the whole resource, validated). */
export const policies = pgTable("policies", {
  name: text("name").primaryKey(),
  resource: jsonb("resource").$type<BurstPolicy>().notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

/** Tenants' budgets and fair-share weights. */
export const budgets = pgTable("budgets", {
  tenant: text("tenant").primaryKey(),
  resource: jsonb("resource").$type<Budget>().notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

/** What running placements cost, accrued as they run (compute) or once when placed (egress). */
export const costLedger = pgTable(
  "cost_ledger",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    uid: text("uid"),
    workload: text("workload").notNull(),
    tenant: text("tenant").notNull(),
    cluster: text("cluster").notNull(),
    pool: text("pool"),
    policy: text("policy"),
    kind: text("kind").$type<"compute" | "egress">().notNull(),
    usd: doublePrecision("usd").notNull(),
    startAt: timestamp("start_at", { withTimezone: true, mode: "date" }).notNull(),
    endAt: timestamp("end_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [index("cost_ledger_start_idx").on(t.startAt), index("cost_ledger_tenant_idx").on(t.tenant, t.startAt)],
);

/** What happened to a workload, for `describe` and `events`: placed, applied, running, failed over, held… */
export const events = pgTable(
  "events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    uid: text("uid").notNull(),
    tenant: text("tenant").notNull(),
    workload: text("workload").notNull(),
    cluster: text("cluster"),
    type: text("type").$type<"Normal" | "Warning">().notNull(),
    reason: text("reason").notNull(),
    message: text("message").notNull(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [index("events_uid_idx").on(t.uid, t.id), index("events_tenant_idx").on(t.tenant, t.id)],
);

/**
 * Leases between hub replicas: one holder at a time per name (`leader`: scheduler, relay, upkeep). `epoch` grows
 * with every change of holder; leader writes carry it and are refused once a newer epoch exists (fencing token).
 * Times are the database's, so hub clocks never need to agree.
 */
export const hubLeases = pgTable("hub_leases", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  epoch: bigint("epoch", { mode: "number" }).notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  acquiredAt: timestamp("acquired_at", { withTimezone: true, mode: "date" }).notNull(),
});

export type ClusterRow = typeof clusters.$inferSelect;
export type WorkloadRow = typeof workloads.$inferSelect;
export type PlacementRow = typeof placements.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type DesiredPlacement = Placement;
