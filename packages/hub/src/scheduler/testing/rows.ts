import type { Workload } from "@gantry/shared";
import type { WorkloadRow } from "../../store/index.ts";

/** A pending workload's row as the store returns it, for tests that plan without a database. */
export const aWorkloadRow = (manifest: Workload, over: Pick<WorkloadRow, "uid" | "createdAt">): WorkloadRow => ({
  uid: over.uid,
  tenant: manifest.metadata.tenant,
  name: manifest.metadata.name,
  manifest,
  specHash: "",
  idempotencyKey: null,
  phase: "Pending",
  message: "",
  quarantine: null,
  generation: 0,
  priority: 0,
  decisionId: null,
  rv: 1,
  createdAt: over.createdAt,
  updatedAt: over.createdAt,
  placedAt: null,
  policy: null,
  pool: null,
  poolNote: null,
  autoscaling: null,
  startedAt: null,
  finishedAt: null,
});
