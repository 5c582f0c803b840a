import type { Workload } from "@gantry/shared";
import type { HealthThresholds } from "../fleet/health.ts";
import type { Metrics } from "../metrics.ts";
import type { Scheduler } from "../scheduler/scheduler.ts";
import type { Store, WorkloadWithPlacements } from "../store/index.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import type { ApiAuth } from "./auth/index.ts";

/** What the API needs; passed in by the hub's composition root. */
export interface ApiDeps {
  store: Store;
  scheduler: Scheduler;
  clock: Clock;
  logger: Logger;
  thresholds: HealthThresholds;
  databaseKind: string;
  metrics?: Metrics;
  onDesiredStateChanged: () => void;
  /** Admission checks before a workload is accepted (budgets); throws a HubError to refuse. */
  admit?: (workload: Workload) => Promise<void>;
  /** More to say in `explain` (burst pool, budgets). */
  explainExtra?: (workload: WorkloadWithPlacements) => Promise<Record<string, unknown>>;
  /** OIDC, rate limits, public routes. Absent: Gantry tokens only, default limits (never "no auth"). */
  auth?: ApiAuth;
}
