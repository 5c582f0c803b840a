import { auditRepository } from "./audit.ts";
import { clusterRepository } from "./clusters.ts";
import { costRepository } from "./costs.ts";
import { datasetRepository } from "./datasets.ts";
import type { Db } from "./db.ts";
import { leaseRepository } from "./leases.ts";
import { maintenanceRepository } from "./maintenance.ts";
import { outboxRepository } from "./outbox.ts";
import { placingRepository } from "./placing.ts";
import { budgetRepository, policyRepository } from "./policies.ts";
import { tokenRepository } from "./tokens.ts";
import { workloadRepository } from "./workloads.ts";

/** The hub's state, one repository per aggregate; the same queries on PostgreSQL and PGlite. */
export const createStore = (db: Db) => ({
  db,
  clusters: clusterRepository(db),
  workloads: workloadRepository(db),
  placing: placingRepository(db),
  datasets: datasetRepository(db),
  outbox: outboxRepository(db),
  policies: policyRepository(db),
  budgets: budgetRepository(db),
  costs: costRepository(db),
  leases: leaseRepository(db),
  tokens: tokenRepository(db),
  audit: auditRepository(db),
  maintenance: maintenanceRepository(db),
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
export { assertState, type CheckpointEntry, effectiveDescription } from "./clusters.ts";
export type { CostGroup } from "./costs.ts";
export { type Db, type OpenDatabase, openDatabase, type Tx } from "./db.ts";
export type {
  DecideTransition,
  PlacementChange,
  ScaleChange,
  ScaleTarget,
  StatusOutcome,
  StatusReport,
  StatusTransition,
} from "./placing.ts";
export type { ClusterRegistration, ClusterRow, ClusterState, EventRow, PlacementRow, WorkloadRow } from "./schema.ts";
export type { ApiTokenRow, AuditRow } from "./schema-auth.ts";
export type { NewToken, TokenRepository, TokenView } from "./tokens.ts";
export { FencedError, LEADER_LEASE } from "./tx.ts";
export type { ActiveUsage, ListCursor, ListFilter, WorkloadChange, WorkloadWithPlacements } from "./workloads.ts";
