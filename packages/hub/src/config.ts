import { hostname } from "node:os";
import { z } from "zod";
import { AuthConfig, authConfigFromEnv } from "./api/auth/config.ts";

/** true/false (also 1/0, yes/no, on/off) from a variable, or a boolean from code; other text is refused, saying so. */
const flag = (fallback: boolean) =>
  z
    .union([z.boolean(), z.stringbool()], { error: "expected true or false (or 1/0, yes/no, on/off)" })
    .default(fallback);

const ms = (fallback: number) => z.coerce.number().int().positive().max(86_400_000).default(fallback);
/** A period that 0 turns off. */
const msOrOff = (fallback: number) => z.coerce.number().int().nonnegative().max(86_400_000).default(fallback);

/** Hub configuration, parsed once at the edge (flags and environment) and passed down. */
export const HubConfig = z.strictObject({
  host: z.string().default("127.0.0.1"),
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  /** PostgreSQL URL; without it the hub uses embedded PGlite in `dataDir`. */
  databaseUrl: z.string().optional(),
  dataDir: z.string().default(".gantry/data"),
  natsUrl: z.string().default("nats://127.0.0.1:4222"),
  /** A NATS credentials file (JWT and seed) for the hub's own identity, when another process holds the authority. */
  natsCreds: z.string().optional(),
  /**
   * The NATS authority's folder (operator and account keys): the hub mints every agent's identity and revokes them.
   * Without it (and without natsCreds) the bus has no authentication: development only.
   */
  natsAuthDir: z.string().optional(),
  /** This replica's name in the leader lease (hostname and pid by default). */
  hubId: z.string().min(1).max(128).default(`${hostname()}-${process.pid}`),
  /** No heartbeat for this long: the cluster is `unknown` and gets no new work. */
  unknownAfterMs: ms(15_000),
  offlineAfterMs: ms(60_000),
  /** An agent that has had no heartbeat ack for this long stops its `stop` workloads (fencing). */
  fenceAfterMs: ms(120_000),
  /** Time an agent needs to stop what it fences; the hub never fails a job over sooner than fence + this. */
  stopGraceMs: ms(15_000),
  /** Operator default for failover: a cluster silent this long loses its work (a workload may set its own). */
  failoverAfterMs: ms(180_000),
  /** Leader lease between hub replicas: a new leader takes over within about ttl + renew. */
  leaseTtlMs: ms(6_000),
  leaseRenewMs: ms(2_000),
  /** How often the pending queue is re-evaluated even when nothing else wakes it. */
  queueIntervalMs: ms(5_000),
  /** How often the outbox is swept for rows a crash left unpublished. */
  relayIntervalMs: ms(2_000),
  /** How often the leader runs the autoscaling step over running services with `spec.autoscaling`. */
  autoscaleIntervalMs: ms(2_000),
  /**
   * Round trips (ms) from user regions to cluster regions, for services' latency SLOs (`rtt` of a fleet file);
   * a region pair not listed is out of reach, except a region and itself (0 ms).
   */
  rtt: z.record(z.string(), z.record(z.string(), z.number().nonnegative().max(10_000))).default({}),
  /** How often lost clusters are failed over, runaways stopped, the fleet checkpointed (and cost accrued, below). */
  upkeepIntervalMs: ms(5_000),
  /**
   * Running placements' cost is written to the ledger at most this often, in work-clock time (an accelerated clock
   * accrues on every upkeep tick). Each accrual reads every running placement and writes a ledger row for each: at
   * 10,000 running placements, every 5 s took a core for seconds and held their rows locked against status reports.
   * Budgets and reports see spend up to this much late.
   */
  accrueEveryMs: ms(60_000),
  /**
   * Where no autovacuum runs (PGlite always; a server with `autovacuum = off`), the leader looks this often and
   * vacuums or analyzes the tables autovacuum's default thresholds would take (PGlite, which counts no changes: all,
   * analyzed every time and vacuumed every fifth). 0: never. Where autovacuum runs, nothing is done.
   */
  dbMaintenanceEveryMs: msOrOff(60_000),
  /**
   * A pass also decides up to this many waiting workloads as one batch in regret order (fewer on large fleets),
   * and keeps that when it places everything queue order did, and more or for less. 0 turns it off.
   */
  batchLimit: z.coerce.number().int().nonnegative().max(10_000).default(200),
  /**
   * About how long (ms) a pass may spend on that batch: fewer workloads join it when decisions are slow (large
   * fleets), so a burst of submissions is placed in a fraction of a second and the hub keeps answering meanwhile.
   * Raise it where a backlog's cost matters more than placement latency; 0 means no budget (`batchLimit` only).
   */
  batchBudgetMs: z.coerce.number().int().nonnegative().max(600_000).default(250),
  /**
   * Decide in a thread of the engine's own (`scheduler/engine-worker.ts`), not on the event loop the API, heartbeats
   * and status reports share. Off: decisions run on the event loop, pausing every ~10 ms.
   */
  engineThread: flag(true),
  /** Operator default for the runaway guard (hours); a workload's own `maxRuntimeHours` wins. */
  defaultMaxRuntimeHours: z.coerce.number().positive().max(87_600).optional(),
  /** Largest request body the API reads (bytes); larger ones get 413. */
  bodyLimitBytes: z.coerce
    .number()
    .int()
    .positive()
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  /** Accept a workload no cluster could ever run (capacity is coming): with a warning instead of a 422. */
  acceptUnsatisfiable: flag(false),
  /** PostgreSQL: give up waiting for the server at start after this long. */
  databaseConnectTimeoutMs: ms(30_000),
  /** Who may call the API: tokens, OIDC, rate limits (see api/auth/config.ts). */
  auth: AuthConfig.prefault({}),
});
export type HubConfig = z.infer<typeof HubConfig>;
export type HubConfigInput = z.input<typeof HubConfig>;

const ENV: [keyof HubConfigInput, string][] = [
  ["host", "GANTRY_HOST"],
  ["port", "PORT"],
  ["databaseUrl", "DATABASE_URL"],
  ["dataDir", "GANTRY_DATA_DIR"],
  ["natsUrl", "NATS_URL"],
  ["natsCreds", "NATS_CREDS"],
  ["natsAuthDir", "GANTRY_NATS_AUTH_DIR"],
  ["hubId", "GANTRY_HUB_ID"],
  ["batchLimit", "GANTRY_BATCH_LIMIT"],
  ["batchBudgetMs", "GANTRY_BATCH_BUDGET_MS"],
  ["engineThread", "GANTRY_ENGINE_THREAD"],
  ["defaultMaxRuntimeHours", "GANTRY_MAX_RUNTIME_HOURS"],
  ["unknownAfterMs", "GANTRY_UNKNOWN_AFTER_MS"],
  ["offlineAfterMs", "GANTRY_OFFLINE_AFTER_MS"],
  ["fenceAfterMs", "GANTRY_FENCE_AFTER_MS"],
  ["failoverAfterMs", "GANTRY_FAILOVER_AFTER_MS"],
  ["leaseTtlMs", "GANTRY_LEASE_TTL_MS"],
  ["leaseRenewMs", "GANTRY_LEASE_RENEW_MS"],
  ["stopGraceMs", "GANTRY_STOP_GRACE_MS"],
  ["queueIntervalMs", "GANTRY_QUEUE_INTERVAL_MS"],
  ["relayIntervalMs", "GANTRY_RELAY_INTERVAL_MS"],
  ["upkeepIntervalMs", "GANTRY_UPKEEP_INTERVAL_MS"],
  ["accrueEveryMs", "GANTRY_ACCRUE_EVERY_MS"],
  ["dbMaintenanceEveryMs", "GANTRY_DB_MAINTENANCE_EVERY_MS"],
  ["autoscaleIntervalMs", "GANTRY_AUTOSCALE_INTERVAL_MS"],
  ["bodyLimitBytes", "GANTRY_BODY_LIMIT_BYTES"],
  ["acceptUnsatisfiable", "GANTRY_ACCEPT_UNSATISFIABLE"],
];

/** Where a setting under `auth` comes from (a path prefix: a structured variable holds what is under it). */
const AUTH_ENV: [string, string][] = [
  ["auth.metricsRequireToken", "GANTRY_METRICS_REQUIRE_TOKEN"],
  ["auth.bootstrapAdminToken", "GANTRY_BOOTSTRAP_ADMIN_TOKEN"],
  ["auth.oidc.issuer", "GANTRY_OIDC_ISSUER"],
  ["auth.oidc.audience", "GANTRY_OIDC_AUDIENCE"],
  ["auth.oidc.clockToleranceSeconds", "GANTRY_OIDC_CLOCK_TOLERANCE_SECONDS"],
  ["auth.oidc.subjectClaim", "GANTRY_OIDC_SUBJECT_CLAIM"],
  ["auth.oidc.roleClaim", "GANTRY_OIDC_ROLE_CLAIM"],
  ["auth.oidc.tenantClaim", "GANTRY_OIDC_TENANT_CLAIM"],
  ["auth.oidc.groupsClaim", "GANTRY_OIDC_GROUPS_CLAIM"],
  ["auth.oidc.groups", "GANTRY_OIDC_GROUPS"],
  ["auth.rateLimit.default.perSecond", "GANTRY_RATE_LIMIT_PER_SECOND"],
  ["auth.rateLimit.default.burst", "GANTRY_RATE_LIMIT_BURST"],
  ["auth.rateLimit.roles", "GANTRY_RATE_LIMIT_ROLES"],
];

/** The environment variable a config path is read from, if any (`auth.oidc.groups.0.role` → GANTRY_OIDC_GROUPS). */
export const envNameOf = (path: readonly PropertyKey[]): string | undefined => {
  const dotted = path.map(String).join(".");
  const top = ENV.find(([key]) => key === path[0]);
  if (top) return top[1];
  const nested = AUTH_ENV.find(([prefix]) => dotted === prefix || dotted.startsWith(`${prefix}.`));
  return nested?.[1];
};

/** One setting the hub refused: the field, where it came from, why. */
export interface ConfigIssue {
  field: string;
  /** The environment variable (or `--flag`) it was read from; absent when it came from neither (a fleet file). */
  source?: string;
  /** What was given, as text, when it was one value. */
  value?: string;
  message: string;
}

/** The hub's settings do not parse: nothing started. */
export class ConfigError extends Error {
  readonly code = "invalid_config";
  constructor(readonly issues: ConfigIssue[]) {
    super(
      `invalid hub configuration:\n${issues
        .map(
          (i) =>
            `  - ${i.source ? `${i.source} (${i.field})` : i.field}${i.value !== undefined ? ` = ${JSON.stringify(i.value)}` : ""}: ${i.message}`,
        )
        .join("\n")}`,
    );
    this.name = "ConfigError";
  }
}

const valueAt = (input: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>(
    (o, k) => (o && typeof o === "object" ? (o as Record<PropertyKey, unknown>)[k] : undefined),
    input,
  );

/**
 * Parse the hub's settings, naming each variable or flag at fault. `flags` says which top-level fields a command
 * line set (those are reported as the flag, since it overrides the variable).
 */
export const parseHubConfig = (input: HubConfigInput, flags: Partial<Record<keyof HubConfigInput, string>> = {}) => {
  const parsed = HubConfig.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => {
      const field = issue.path.map(String).join(".") || "(root)";
      const source = flags[issue.path[0] as keyof HubConfigInput] ?? envNameOf(issue.path);
      const given = valueAt(input, issue.path);
      return {
        field,
        ...(source ? { source } : {}),
        ...(typeof given === "string" || typeof given === "number" || typeof given === "boolean"
          ? { value: String(given) }
          : {}),
        message: issue.message,
      };
    }),
  );
};

/** Read the hub's settings from the environment (flags override them in the CLI). */
export const hubConfigFromEnv = (env: NodeJS.ProcessEnv): HubConfigInput => {
  const out: Record<string, unknown> = { auth: authConfigFromEnv(env) };
  for (const [key, name] of ENV) {
    const v = env[name];
    if (v !== undefined && v !== "") out[key] = v;
  }
  return out as HubConfigInput;
};
