import type {
  Budget,
  BurstPolicy,
  CapacityReport,
  ClusterDescription,
  Decision,
  Placement,
  PlacementStatus,
  Reservation,
  Workload,
} from "@gantry/shared";
import {
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

/** Clusters known to the hub: what their agent announced and what it last reported. */
export const clusters = pgTable("clusters", {
  name: text("name").primaryKey(),
  description: jsonb("description").$type<ClusterDescription>().notNull(),
  agentId: text("agent_id"),
  driver: text("driver"),
  agentVersion: text("agent_version"),
  capacity: jsonb("capacity").$type<CapacityReport>(),
  lastSeenAt: timestamp("last_seen_at", { withTimezone: true, mode: "date" }),
  /** Grows with every change of this cluster's desired state (see DesiredState.revision). */
  revision: integer("revision").notNull().default(0),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

export const workloads = pgTable("workloads", {
  name: text("name").primaryKey(),
  tenant: text("tenant").notNull(),
  manifest: jsonb("manifest").$type<Workload>().notNull(),
  phase: text("phase").notNull(),
  message: text("message").notNull().default(""),
  /** Bumped whenever the workload's placement changes. */
  generation: integer("generation").notNull().default(0),
  priority: integer("priority").notNull().default(0),
  /** Latest decision id (see decisions). */
  decisionId: text("decision_id"),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  placedAt: timestamp("placed_at", { withTimezone: true, mode: "date" }),
  /** The burst policy that governs it, the pool it was placed in, and why (for `explain`). */
  policy: text("policy"),
  pool: text("pool"),
  poolNote: text("pool_note"),
  startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }),
  finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
});

/** The desired state: this workload runs `replicas` replicas in `cluster`. */
export const placements = pgTable(
  "placements",
  {
    workload: text("workload")
      .notNull()
      .references(() => workloads.name, { onDelete: "cascade" }),
    cluster: text("cluster").notNull(),
    replicas: integer("replicas").notNull(),
    generation: integer("generation").notNull(),
    decisionId: text("decision_id").notNull(),
    spot: boolean("spot").notNull().default(false),
    gpuModel: text("gpu_model"),
    pricePerGpuHour: doublePrecision("price_per_gpu_hour").notNull().default(0),
    /** False once the hub no longer wants it in the cluster (finished, moved); kept for history. */
    active: boolean("active").notNull().default(true),
    status: jsonb("status").$type<PlacementStatus>(),
    pool: text("pool"),
    policy: text("policy"),
    gpusPerReplica: integer("gpus_per_replica").notNull().default(0),
    /** Cost has been accrued up to here. */
    accruedUntil: timestamp("accrued_until", { withTimezone: true, mode: "date" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.workload, t.cluster] })],
);

/** Every decision the engine made, with its full explanation. */
export const decisions = pgTable("decisions", {
  id: text("id").primaryKey(),
  workload: text("workload").notNull(),
  decision: jsonb("decision").$type<Decision>().notNull(),
  feasible: boolean("feasible").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

/** Capacity promised to a placement until the cluster's reports account for it. */
export const reservations = pgTable(
  "reservations",
  {
    workload: text("workload").notNull(),
    cluster: text("cluster").notNull(),
    generation: integer("generation").notNull(),
    nodes: jsonb("nodes").$type<Reservation["nodes"]>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.workload, t.cluster] })],
);

export const datasets = pgTable("datasets", {
  name: text("name").primaryKey(),
  sizeGB: doublePrecision("size_gb").notNull(),
  locations: jsonb("locations").$type<string[]>().notNull(),
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

export type ClusterRow = typeof clusters.$inferSelect;
export type WorkloadRow = typeof workloads.$inferSelect;
export type PlacementRow = typeof placements.$inferSelect;
export type DesiredPlacement = Placement;
