import type {
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

export type ClusterRow = typeof clusters.$inferSelect;
export type WorkloadRow = typeof workloads.$inferSelect;
export type PlacementRow = typeof placements.$inferSelect;
export type DesiredPlacement = Placement;
