import { clusterRepository } from "./clusters.ts";
import { costRepository } from "./costs.ts";
import { datasetRepository } from "./datasets.ts";
import type { Db } from "./db.ts";
import { outboxRepository } from "./outbox.ts";
import { budgetRepository, policyRepository } from "./policies.ts";
import { workloadRepository } from "./workloads.ts";

/** The hub's state, one repository per aggregate; the same queries on PostgreSQL and PGlite. */
export const createStore = (db: Db) => ({
  clusters: clusterRepository(db),
  workloads: workloadRepository(db),
  datasets: datasetRepository(db),
  outbox: outboxRepository(db),
  policies: policyRepository(db),
  budgets: budgetRepository(db),
  costs: costRepository(db),
});
export type Store = ReturnType<typeof createStore>;

export type { CostGroup } from "./costs.ts";
export { type Db, type OpenDatabase, openDatabase } from "./db.ts";
export type { ClusterRow, PlacementRow, WorkloadRow } from "./schema.ts";
export type { WorkloadWithPlacements } from "./workloads.ts";
