import { auditRepository } from "./audit.ts";
import { clusterRepository } from "./clusters.ts";
import { costRepository } from "./costs.ts";
import { datasetRepository } from "./datasets.ts";
import type { Db } from "./db.ts";
import { outboxRepository } from "./outbox.ts";
import { budgetRepository, policyRepository } from "./policies.ts";
import { tokenRepository } from "./tokens.ts";
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
  tokens: tokenRepository(db),
  audit: auditRepository(db),
});
export type Store = ReturnType<typeof createStore>;

export {
  type AuditEntry,
  type AuditFilter,
  type AuditOutcome,
  type AuditPage,
  type AuditRepository,
  recordAudit,
} from "./audit.ts";
export type { CostGroup } from "./costs.ts";
export { type Db, type OpenDatabase, openDatabase, type Tx } from "./db.ts";
export type { ClusterRow, PlacementRow, WorkloadRow } from "./schema.ts";
export type { ApiTokenRow, AuditRow } from "./schema-auth.ts";
export type { NewToken, TokenRepository, TokenView } from "./tokens.ts";
export type { WorkloadWithPlacements } from "./workloads.ts";
