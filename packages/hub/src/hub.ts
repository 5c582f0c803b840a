import type { AddressInfo } from "node:net";
import { natsServerOptions } from "@gantry/shared";
import { serve } from "@hono/node-server";
import { connect } from "@nats-io/transport-node";
import { createApi } from "./api/app.ts";
import { ensureAdminToken } from "./api/auth/index.ts";
import { createHubBus } from "./bus/hub-bus.ts";
import { createRelay } from "./bus/relay.ts";
import { HubConfig, type HubConfigInput } from "./config.ts";
import { capacityChanges } from "./fleet/capacity-change.ts";
import type { HealthThresholds } from "./fleet/health.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { createAdmission } from "./scheduler/admission.ts";
import { createScheduler } from "./scheduler/scheduler.ts";
import { createUpkeep } from "./scheduler/upkeep.ts";
import { createStore, type OpenDatabase, openDatabase } from "./store/index.ts";
import { type Clock, systemClock } from "./util/clock.ts";
import { createLogger, type Logger } from "./util/logger.ts";

export interface HubDeps {
  config: HubConfigInput;
  logger?: Logger;
  clock?: Clock;
  metrics?: Metrics;
  /** An already-open database (tests share one); otherwise opened from the config. */
  database?: OpenDatabase;
}

/**
 * The hub's composition root: database, store, scheduler, NATS bus, outbox relay and HTTP API.
 * `start()` brings them up in dependency order; `close()` takes them down in reverse.
 */
export const createHub = async (deps: HubDeps) => {
  const config = HubConfig.parse(deps.config);
  const logger = deps.logger ?? createLogger("gantry-hub");
  const clock = deps.clock ?? systemClock;
  const thresholds: HealthThresholds = { unknownAfterMs: config.unknownAfterMs, offlineAfterMs: config.offlineAfterMs };

  const metrics = deps.metrics ?? createMetrics();
  const database =
    deps.database ??
    (await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir }));
  const store = createStore(database.db);
  const nc = await connect({
    ...natsServerOptions(config.natsUrl),
    name: "gantry-hub",
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  });

  let bus: ReturnType<typeof createHubBus> | undefined;
  const relay = createRelay({
    store,
    clock,
    logger,
    publish: (cluster, state) => {
      bus?.publishDesired(cluster, state);
      metrics.publishes.inc();
    },
  });
  const onDesiredStateChanged = () => void relay.kick();
  const scheduler = createScheduler({
    store,
    clock,
    logger,
    thresholds,
    onDesiredStateChanged,
    metrics,
    batchLimit: config.batchLimit,
  });

  const capacityChanged = capacityChanges();
  bus = createHubBus({
    nc,
    logger,
    onMessage: (kind, accepted) => metrics.messages.inc({ kind, result: accepted ? "accepted" : "dropped" }),
    handlers: {
      async hello(m) {
        await store.clusters.announce({
          description: m.description,
          agentId: m.agentId,
          driver: m.driver,
          agentVersion: m.agentVersion,
          at: clock.now(),
        });
        logger.info({ cluster: m.cluster, agent: m.agentId, driver: m.driver }, "agent said hello");
      },
      async heartbeat(m) {
        const known = await store.clusters.heartbeat(m.cluster, m.capacity, clock.now());
        if (known && capacityChanged(m.cluster, m.capacity)) void scheduler.kick();
      },
      status: (m) => scheduler.onStatuses(m.cluster, m.statuses),
      sync: (m) => relay.desiredState(m.cluster),
    },
  });

  const upkeep = createUpkeep({
    store,
    clock,
    logger,
    scheduler,
    onDesiredStateChanged,
    ...(config.defaultMaxRuntimeHours ? { defaultMaxRuntimeHours: config.defaultMaxRuntimeHours } : {}),
  });
  const admission = createAdmission({ store, clock });

  const api = createApi({
    admit: admission.admit,
    explainExtra: admission.explain,
    store,
    scheduler,
    clock,
    logger,
    thresholds,
    databaseKind: database.kind,
    metrics,
    onDesiredStateChanged,
    auth: { config: config.auth },
  });

  let server: ReturnType<typeof serve> | undefined;
  const timers: NodeJS.Timeout[] = [];

  return {
    config,
    store,
    scheduler,
    upkeep,
    metrics,
    api,
    nc,
    /** The bound HTTP URL once started. */
    url: "",
    /** Where the bootstrap admin token was written, when `auth.bootstrapAdminToken` is on. */
    adminTokenFile: undefined as string | undefined,
    async start() {
      if (config.auth.bootstrapAdminToken) {
        const admin = await ensureAdminToken({ tokens: store.tokens, dataDir: config.dataDir, clock });
        this.adminTokenFile = admin.path;
        logger.info({ file: admin.path, created: admin.created }, "admin token ready");
      }
      bus?.start();
      await nc.flush();
      await new Promise<void>((resolve) => {
        server = serve({ fetch: api.fetch, hostname: config.host, port: config.port }, (info: AddressInfo) => {
          this.url = `http://${config.host}:${info.port}`;
          resolve();
        });
      });
      timers.push(setInterval(() => void scheduler.kick(), config.queueIntervalMs));
      timers.push(setInterval(() => void relay.kick(), config.relayIntervalMs));
      const upkeepTick = () =>
        upkeep.tick().catch((e: unknown) => logger.error({ err: e }, "upkeep failed; will retry"));
      timers.push(setInterval(upkeepTick, config.upkeepIntervalMs));
      void relay.kick();
      void scheduler.kick();
      logger.info({ url: this.url, database: database.kind, nats: config.natsUrl }, "hub started");
    },
    async close() {
      for (const t of timers) clearInterval(t);
      scheduler.close();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await scheduler.idle();
      await relay.idle();
      await bus?.close();
      await nc.drain().catch(() => undefined);
      if (!deps.database) await database.close();
    },
  };
};
export type Hub = Awaited<ReturnType<typeof createHub>>;
