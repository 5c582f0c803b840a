import type { Workload } from "@gantry/shared";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { SQL } from "drizzle-orm";
import type { LogsClient } from "../bus/logs.ts";
import type { HubConfig } from "../config.ts";
import type { HealthThresholds } from "../fleet/health.ts";
import type { FleetView } from "../fleet/view.ts";
import type { Metrics } from "../metrics.ts";
import type { Scheduler } from "../scheduler/scheduler.ts";
import type { Store, WorkloadWithPlacements } from "../store/index.ts";
import type { Clock, WorkClock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import type { Wakeup } from "../util/serial.ts";
import type { Access } from "./access.ts";
import type { ApiAuth } from "./auth/index.ts";

/** What route apps get: the API's dependencies with the caller's access and the shared validation hook. */
export type RouteDeps = ApiDeps & { access: Access; defaultHook: DefaultHook };

/** The validation hook type route apps take. */
export type DefaultHook = NonNullable<NonNullable<ConstructorParameters<typeof OpenAPIHono>[0]>["defaultHook"]>;

/** Issues and revokes the NATS identities of clusters' agents (present when the bus has authentication on). */
export interface ClusterCredentials {
  /** New credentials for a cluster's agent: the public key (recorded) and the `.creds` text (returned once). */
  issue(cluster: string): Promise<{ publicKey: string; creds: string }>;
  /** Cut these keys off the bus now. */
  revoke(publicKeys: readonly string[]): Promise<void>;
}

/** What the API needs; passed in by the hub's composition root. */
export interface ApiDeps {
  store: Store;
  view: FleetView;
  scheduler: Scheduler;
  /** Schedule soon: on the leader directly, elsewhere by telling the leader. */
  kickScheduler: () => void;
  /** The process clock: cluster ages, tokens, audit, rate limits. */
  clock: Clock;
  /** The clock workloads, costs and budgets are timed in (`gantry up` simulates it); `clock` when absent. */
  workClock?: WorkClock;
  logger: Logger;
  thresholds: HealthThresholds;
  databaseKind: string;
  config: HubConfig;
  metrics?: Metrics;
  onDesiredStateChanged: () => void;
  /** Notified when this replica commits workload changes: watches poll at once instead of at their interval. */
  changes?: Wakeup;
  /** Admission checks before a workload is accepted (budgets, named policies); throws a HubError to refuse. */
  admit?: (workload: Workload) => Promise<void>;
  /** Checks against the registered fleet (unknown datasets and GPU models, unsatisfiable); returns warnings. */
  checkFleet?: (workload: Workload) => Promise<string[]>;
  /** More to say in `explain` (burst pool, budgets). */
  explainExtra?: (workload: WorkloadWithPlacements) => Promise<Record<string, unknown>>;
  /** OIDC, rate limits, public routes. Absent: Gantry tokens only, default limits (never "no auth"). */
  auth?: ApiAuth;
  /** A label selector (`-l`) as a condition on workload rows; throws a validation error for a bad selector. */
  labelFilter?: (selector: string | undefined) => SQL | undefined;
  /** A label selector as a predicate on a label map (clusters); throws a validation error for a bad selector. */
  labelMatcher?: (selector: string | undefined) => ((labels: Record<string, string>) => boolean) | undefined;
  /** Who the caller is and what it may do; absent: everything is allowed (embedded use and unit tests). */
  access?: Access;
  credentials?: ClusterCredentials;
  /** Asks agents for replicas' logs over the bus (absent in embedded use without NATS). */
  logs?: LogsClient;
  /** Readiness: throws when the database or NATS cannot be used right now. */
  ready?: () => Promise<void>;
  leader?: () => boolean;
  /** The validation hook every route app shares (bad input → problem+json naming the field). */
  defaultHook?: DefaultHook;
}
