import { z } from "zod";
import { AuthConfig, authConfigFromEnv } from "./api/auth/config.ts";

/** Hub configuration, parsed once at the edge (flags and environment) and passed down. */
export const HubConfig = z.object({
  host: z.string().default("127.0.0.1"),
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  /** PostgreSQL URL; without it the hub uses embedded PGlite in `dataDir`. */
  databaseUrl: z.string().optional(),
  dataDir: z.string().default(".gantry/data"),
  natsUrl: z.string().default("nats://127.0.0.1:4222"),
  /** No heartbeat for this long: the cluster is `unknown` and gets no new work. */
  unknownAfterMs: z.coerce.number().int().positive().default(15_000),
  offlineAfterMs: z.coerce.number().int().positive().default(60_000),
  /** How often the pending queue is re-evaluated even when nothing else wakes it. */
  queueIntervalMs: z.coerce.number().int().positive().default(5_000),
  /** How often the outbox is swept for rows a crash left unpublished. */
  relayIntervalMs: z.coerce.number().int().positive().default(2_000),
  /** How often cost is accrued, runaways stopped and drain-back considered. */
  upkeepIntervalMs: z.coerce.number().int().positive().default(10_000),
  /**
   * A pass also decides up to this many waiting workloads as one batch in regret order (fewer on large fleets),
   * and keeps that when it places everything queue order did, and more or for less. 0 turns it off.
   */
  batchLimit: z.coerce.number().int().nonnegative().default(200),
  /** Operator default for the runaway guard (hours); a workload's own `maxRuntimeHours` wins. */
  defaultMaxRuntimeHours: z.coerce.number().positive().optional(),
  /** Who may call the API: tokens, OIDC, rate limits (see api/auth/config.ts). */
  auth: AuthConfig.prefault({}),
});
export type HubConfig = z.infer<typeof HubConfig>;
export type HubConfigInput = z.input<typeof HubConfig>;

/** Read the hub's settings from the environment (flags override them in the CLI). */
export const hubConfigFromEnv = (env: NodeJS.ProcessEnv): HubConfigInput => ({
  auth: authConfigFromEnv(env),
  ...(env.GANTRY_HOST ? { host: env.GANTRY_HOST } : {}),
  ...(env.PORT ? { port: env.PORT } : {}),
  ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
  ...(env.GANTRY_DATA_DIR ? { dataDir: env.GANTRY_DATA_DIR } : {}),
  ...(env.NATS_URL ? { natsUrl: env.NATS_URL } : {}),
  ...(env.GANTRY_BATCH_LIMIT ? { batchLimit: env.GANTRY_BATCH_LIMIT } : {}),
  ...(env.GANTRY_MAX_RUNTIME_HOURS ? { defaultMaxRuntimeHours: env.GANTRY_MAX_RUNTIME_HOURS } : {}),
});
