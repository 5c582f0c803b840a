import type { AddressInfo } from "node:net";
import {
  type DesiredState,
  type HeartbeatAck,
  natsServerOptions,
  PROTOCOL_VERSION,
  type ServingSignal,
  subjects,
} from "@gantry/shared";
import { serve } from "@hono/node-server";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createApi } from "./api/app.ts";
import { ensureAdminToken } from "./api/auth/index.ts";
import { preloadTemplateSchemas } from "./api/template-schemas.ts";
import { type NatsAuthority, openNatsAuthority } from "./bus/auth/index.ts";
import { createHubBus } from "./bus/hub-bus.ts";
import { clusterCredentials, hubAuthenticator, revokeDueCredentials } from "./bus/identities.ts";
import { createLogsClient } from "./bus/logs.ts";
import { createRelay } from "./bus/relay.ts";
import { HubConfig, type HubConfigInput } from "./config.ts";
import type { HealthThresholds } from "./fleet/health.ts";
import { createFleetView } from "./fleet/view.ts";
import { registerFleetMetrics } from "./fleet-metrics.ts";
import { createLeadership } from "./ha/leadership.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { createAdmission } from "./scheduler/admission.ts";
import { createAutoscaling } from "./scheduler/autoscaling.ts";
import { createEngineWorker } from "./scheduler/engine-worker.ts";
import { statusTransition } from "./scheduler/phase.ts";
import { createScheduler } from "./scheduler/scheduler.ts";
import { createUpkeep } from "./scheduler/upkeep.ts";
import {
  type ClusterRegistration,
  createStore,
  FencedError,
  type OpenDatabase,
  openDatabase,
  type StatusOutcome,
  type StatusReport,
} from "./store/index.ts";
import { type Clock, realWorkClock, systemClock, type WorkClock } from "./util/clock.ts";
import { createLogger, type Logger } from "./util/logger.ts";
import { grouped, wakeup } from "./util/serial.ts";
import { withTimeout } from "./util/timeout.ts";

/**
 * Most status reports one transaction applies. The bus runs up to 64 clusters' reports at once, and two batches may
 * be in flight, so a burst is applied in a few transactions while pool connections stay free for submits and passes.
 */
const STATUS_BATCH = 64;

export interface HubDeps {
  config: HubConfigInput;
  logger?: Logger;
  /** The process clock: heartbeats, health, leases, fencing, failover, tokens, audit. */
  clock?: Clock;
  /**
   * The clock work is timed in: billed hours, budgets, burst waits, drain-back, runaway limits, workload times. The
   * process clock by default; `gantry up --seconds-per-hour N` passes a simulated one matching its simulated fleet.
   */
  workClock?: WorkClock;
  metrics?: Metrics;
  /** An already-open database (tests share one); otherwise opened from the config. */
  database?: OpenDatabase;
  /** Connect to NATS some other way (tests); by default the config's URL with the hub's identity. */
  connectNats?: () => Promise<NatsConnection>;
  /** The NATS authority, already open (`gantry up` shares its own); otherwise opened from `natsAuthDir`. */
  natsAuthority?: NatsAuthority;
}

/**
 * The hub's composition root: database, store, the in-memory fleet view, leader election, scheduler, NATS bus,
 * outbox relay and HTTP API. Every replica serves the API and keeps the fleet view from heartbeats; only the leader
 * (one per database, fenced by its epoch) schedules, publishes desired state and runs upkeep.
 */
export const createHub = async (deps: HubDeps) => {
  const config = HubConfig.parse(deps.config);
  const logger = deps.logger ?? createLogger("gantry-hub");
  const clock = deps.clock ?? systemClock;
  const workClock = deps.workClock ?? realWorkClock(clock);
  const thresholds: HealthThresholds = { unknownAfterMs: config.unknownAfterMs, offlineAfterMs: config.offlineAfterMs };
  const metrics = deps.metrics ?? createMetrics();
  // How long each step of starting took (ms), in the "hub started" line: a slow cold start says where it went.
  const startup: Record<string, number> = {};
  let stepAt = performance.now();
  const stepDone = (step: string) => {
    const at = performance.now();
    startup[step] = Math.round(at - stepAt);
    stepAt = at;
  };

  const database =
    deps.database ??
    (await openDatabase({
      ...(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir }),
      connectTimeoutMs: config.databaseConnectTimeoutMs,
      // A leader paused inside a transaction must not hold the lease row past its lease (see DatabaseOptions).
      idleInTransactionTimeoutMs: Math.max(1_000, Math.min(30_000, Math.floor(config.leaseTtlMs / 2))),
      onPoolError: (error) => logger.warn({ err: error }, "database connection lost; the pool reconnects"),
    }));
  stepDone("databaseMs");
  const store = createStore(database.db);
  const view = createFleetView({ clock, thresholds });
  view.load(await store.clusters.list());
  stepDone("fleetViewMs");
  registerFleetMetrics(metrics, { view, store, clock, thresholds, logger });
  /**
   * Since when this hub has heard the bus without a break: a hub cut off from NATS (or just started) must not take
   * its own deafness for lost clusters, so failover counts silence from here at the earliest.
   */
  let listeningSince = clock.now();
  let hearing = true;

  const authority =
    deps.natsAuthority ??
    (config.natsAuthDir ? await openNatsAuthority({ dir: config.natsAuthDir, servers: config.natsUrl }) : undefined);
  const authenticator = await hubAuthenticator({
    ...(authority ? { authority } : {}),
    ...(config.natsCreds ? { credsFile: config.natsCreds } : {}),
  });
  if (!authenticator) {
    logger.warn({ nats: config.natsUrl }, "the bus has no authentication: anyone on it controls the fleet");
  }
  const nc = await (
    deps.connectNats ??
    (() =>
      connect({
        ...natsServerOptions(config.natsUrl),
        ...(authenticator ? { authenticator } : {}),
        name: `gantry-hub-${config.hubId}`,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        waitOnFirstConnect: true,
        // A credentials hiccup during a rotation must not make the client give up for good.
        ignoreAuthErrorAbort: true,
      }))
  )();
  stepDone("natsMs");
  const credentials = authority ? clusterCredentials(authority) : undefined;

  let bus: ReturnType<typeof createHubBus> | undefined;
  const leadership = createLeadership({
    leases: store.leases,
    holder: config.hubId,
    logger,
    options: { ttlMs: config.leaseTtlMs, renewMs: config.leaseRenewMs },
    onChange: (leader) => {
      metrics.leader.set(leader ? 1 : 0);
      if (!leader) return;
      // A new leader may have missed publishes: forget the cache, publish what the outbox holds, schedule.
      relay.clear();
      void relay.kick();
      void scheduler.kick();
    },
  });
  const epoch = () => leadership.epoch();
  const onFenced = (error: FencedError) => leadership.stepDown(error.message);

  const relay = createRelay({
    store,
    clock,
    logger,
    epoch,
    fenceAfterSeconds: config.fenceAfterMs / 1000,
    publish: (cluster, state) => {
      bus?.publishDesired(cluster, state);
      metrics.publishes.inc();
    },
  });
  /** A write queued desired-state changes: the leader publishes now; another replica tells the leader. */
  /** This replica committed workload changes: its watches look now (others' writes reach them by polling). */
  const changes = wakeup();
  const onDesiredStateChanged = () => {
    changes.notify();
    if (leadership.isLeader()) void relay.kick();
    else if (!nc.isClosed()) nc.publish(subjects.hubsKick, JSON.stringify({ relay: true }));
  };
  const scheduler = createScheduler({
    store,
    view,
    clock: workClock,
    timerMs: workClock.realMs,
    logger,
    epoch,
    onFenced,
    onDesiredStateChanged,
    metrics,
    batchLimit: config.batchLimit,
    ...(config.batchBudgetMs > 0 ? { batchBudgetMs: config.batchBudgetMs } : {}),
    ...(config.engineThread ? { engine: createEngineWorker({ logger }) } : {}),
  });
  const kickScheduler = () => {
    changes.notify();
    if (leadership.isLeader()) void scheduler.kick();
    else if (!nc.isClosed()) nc.publish(subjects.hubsKick, JSON.stringify({ schedule: true }));
  };

  const signals = new Map<string, { at: Date; signals: ServingSignal[] }>();
  const autoscaling = createAutoscaling({
    store,
    view,
    clock,
    logger,
    scheduler,
    epoch,
    onDesiredStateChanged,
    metrics,
    rtt: config.rtt,
  });
  /**
   * The last status this replica applied per cluster and placement: periodic full reports mostly repeat what is known,
   * and repeating it must not cost a database write.
   */
  const applied = new Map<string, string>();
  const MAX_APPLIED = 200_000;
  /**
   * Status reports from different clusters that arrive together share one transaction (each cluster's still apply
   * in order: the bus hands this one report per cluster at a time). A batch the database refuses is tried again
   * report by report, so one report it cannot take does not hold back the others it arrived with.
   */
  const applyReports = grouped<StatusReport, { outcome: StatusOutcome } | { error: unknown }>(
    async (reports) => {
      const at = workClock.now();
      try {
        const outcomes = await store.placing.applyStatusReports(reports, at, statusTransition);
        return outcomes.map((outcome) => ({ outcome }));
      } catch (error) {
        if (reports.length === 1) return [{ error }];
        const out: ({ outcome: StatusOutcome } | { error: unknown })[] = [];
        for (const r of reports) {
          try {
            out.push({ outcome: (await store.placing.applyStatusReports([r], at, statusTransition))[0]! });
          } catch (e) {
            out.push({ error: e });
          }
        }
        return out;
      }
    },
    { maxBatch: STATUS_BATCH, concurrency: 2 },
  );

  bus = createHubBus({
    nc,
    logger,
    view,
    onMessage: (kind, result, reason) => metrics.messages.inc({ kind, result, reason: reason ?? "" }),
    handlers: {
      async hello(cluster, m) {
        let entry = view.get(cluster);
        if (!entry || !leadership.isLeader()) {
          // Another replica may have registered it meanwhile; the leader records what the agent says.
          const row = await store.clusters.get(cluster);
          if (row) entry = view.upsert(row);
        }
        // A hello repeating what the row holds (every agent says hello every 30 s) is not written again.
        const repeat =
          entry !== undefined &&
          view.helloRecorded(cluster, {
            agentId: m.agentId,
            driver: m.driver,
            agentVersion: m.agentVersion,
            reported: m.description,
          });
        if (leadership.isLeader() && !repeat) {
          const row = await store.clusters.announce({
            name: cluster,
            reported: m.description,
            agentId: m.agentId,
            driver: m.driver,
            agentVersion: m.agentVersion,
            at: clock.now(),
          });
          entry = view.upsert(row);
          if (row.state === "pending")
            logger.warn({ cluster, agent: m.agentId }, "unregistered cluster said hello; pending approval");
        }
        if (entry) view.hello(cluster, m.agentId, m.seq);
        if (!repeat) {
          logger.info({ cluster, agent: m.agentId, driver: m.driver, state: entry?.state }, "agent said hello");
        }
      },
      heartbeat(cluster, m): HeartbeatAck | undefined {
        const changed = view.heartbeat(cluster, m.capacity);
        const entry = view.get(cluster);
        if (!leadership.isLeader() || !entry) return undefined;
        if (changed && entry.state === "registered") void scheduler.kick();
        // The agent compares this with what it holds and, when behind (a lost publish), asks for the full state.
        const revision = relay.revisionOf(cluster);
        return {
          protocol: PROTOCOL_VERSION,
          kind: "ack",
          leaseSeconds: config.fenceAfterMs / 1000,
          revision: revision ?? 0,
          registered: entry.state === "registered",
        };
      },
      async status(cluster, m) {
        if (view.get(cluster)?.state !== "registered") return;
        // Start and end times are the agent's clock: put them in the hub's, then in work time, before anything bills
        // by them.
        const inWorkTime = (at: string | undefined) => {
          const hub = view.toHubTime(cluster, at);
          return hub ? workClock.fromReal(new Date(hub)).toISOString() : undefined;
        };
        const statuses = m.statuses.map((st) => {
          const startedAt = inWorkTime(st.startedAt);
          const finishedAt = inWorkTime(st.finishedAt);
          return { ...st, ...(startedAt ? { startedAt } : {}), ...(finishedAt ? { finishedAt } : {}) };
        });
        const fresh = statuses.filter((s) => applied.get(`${cluster}/${s.uid}`) !== JSON.stringify(s));
        const result = fresh.length > 0 ? await applyReports({ cluster, seq: m.seq, statuses: fresh }) : undefined;
        if (result && "error" in result) throw result.error;
        const outcome = result?.outcome ?? { changed: [], freed: [], desiredChanged: false };
        if (fresh.length > 0) changes.notify();
        if (applied.size > MAX_APPLIED) applied.clear();
        for (const s of fresh) applied.set(`${cluster}/${s.uid}`, JSON.stringify(s));
        if (m.full) {
          const desired = await relay.desiredState(cluster);
          if (m.revision >= desired.revision) {
            const listed = new Set(m.statuses.map((s) => s.uid));
            const missing = desired.placements.filter((p) => !listed.has(p.uid)).map((p) => p.uid);
            await store.placing.markMissing(cluster, missing, [...listed], workClock.now());
            if (missing.length > 0) onDesiredStateChanged();
          }
        }
        if (outcome.desiredChanged) onDesiredStateChanged();
        if (outcome.freed.length > 0) kickScheduler();
      },
      async sync(cluster, m): Promise<DesiredState | undefined> {
        return relay.sync(cluster, m.origin, m.revision);
      },
      signals(cluster, m) {
        if (view.get(cluster)?.state !== "registered") return;
        signals.set(cluster, { at: clock.now(), signals: m.signals });
        autoscaling.record(cluster, m.signals);
      },
      published(_cluster, state) {
        relay.remember(state);
      },
    },
  });

  const upkeep = createUpkeep({
    store,
    view,
    clock,
    workClock,
    logger,
    scheduler,
    epoch,
    failover: {
      fenceAfterMs: config.fenceAfterMs,
      stopGraceMs: config.stopGraceMs,
      defaultAfterMs: config.failoverAfterMs,
    },
    listeningSince: () => (hearing ? listeningSince : clock.now()),
    accrueEveryMs: config.accrueEveryMs,
    maintainEveryMs: config.dbMaintenanceEveryMs,
    // An ANALYZE at 10,000 clusters is about a second of a core: not while a burst of submissions is being placed.
    busy: () => scheduler.sinceDecidedMs() < 10_000,
    onDesiredStateChanged,
    ...(config.defaultMaxRuntimeHours ? { defaultMaxRuntimeHours: config.defaultMaxRuntimeHours } : {}),
    ...(credentials ? { revokeDueCredentials: revokeDueCredentials({ store, clock, logger, credentials }) } : {}),
  });
  const admission = createAdmission({ store, clock: workClock, view, acceptUnsatisfiable: config.acceptUnsatisfiable });

  const api = createApi({
    logs: createLogsClient(nc),
    admit: admission.admit,
    checkFleet: admission.checkFleet,
    explainExtra: admission.explain,
    store,
    view,
    scheduler,
    kickScheduler,
    changes,
    clock,
    workClock,
    logger,
    thresholds,
    databaseKind: database.kind,
    metrics,
    onDesiredStateChanged,
    config,
    ready: async () => {
      await withTimeout(database.ping(), 2_000, "database ping");
      if (nc.isClosed() || nc.isDraining()) throw new Error("NATS connection closed");
      await withTimeout(nc.flush(), 2_000, "NATS flush");
    },
    leader: () => leadership.isLeader(),
    ...(credentials ? { credentials } : {}),
    auth: { config: config.auth },
  });

  let server: ReturnType<typeof serve> | undefined;
  const timers: NodeJS.Timeout[] = [];
  let closing: Promise<void> | undefined;

  const onFailure = (what: string) => (error: unknown) => {
    if (error instanceof FencedError) onFenced(error);
    else logger.error({ err: error }, `${what} failed; will retry`);
  };

  return {
    config,
    store,
    view,
    workClock,
    scheduler,
    upkeep,
    metrics,
    api,
    nc,
    leadership,
    signals,
    autoscaling,
    /** The bound HTTP URL once started. */
    url: "",
    /**
     * Register a cluster as an operator would (`gantry up` registers its fleet file's clusters). Returns its agent's
     * NATS credentials when the hub mints them.
     */
    async registerCluster(name: string, registration: ClusterRegistration): Promise<{ creds?: string }> {
      view.upsert(await store.clusters.register(name, registration, clock.now()));
      onDesiredStateChanged();
      if (!credentials) return {};
      const { publicKey, creds } = await credentials.issue(name);
      await store.clusters.addCredential(name, publicKey, clock.now());
      return { creds };
    },
    /** Where the bootstrap admin token was written, when `auth.bootstrapAdminToken` is on. */
    adminTokenFile: undefined as string | undefined,
    async start() {
      stepAt = performance.now();
      if (config.auth.bootstrapAdminToken) {
        const admin = await ensureAdminToken({ tokens: store.tokens, dataDir: config.dataDir, clock });
        this.adminTokenFile = admin.path;
        logger.info({ file: admin.path, created: admin.created }, "admin token ready");
      }
      // Leaders elsewhere hear about this replica's writes through this subject.
      nc.subscribe(subjects.hubsKick, {
        callback: (_e, msg) => {
          if (!leadership.isLeader()) return;
          let body: { relay?: boolean; schedule?: boolean } = {};
          try {
            body = msg.json();
          } catch {
            return;
          }
          if (body.relay) void relay.kick();
          if (body.schedule) void scheduler.kick();
        },
      });
      void (async () => {
        for await (const s of nc.status()) {
          if (s.type === "reconnect") {
            hearing = true;
            listeningSince = clock.now();
            // A restarted nats-server may have missed revocations made while it was down.
            if (authority && leadership.isLeader()) {
              authority.pushAccount().catch((e: unknown) => logger.warn({ err: e }, "could not push the account JWT"));
            }
          } else if (s.type === "disconnect") {
            hearing = false;
          }
        }
      })();
      await nc.flush();
      // The lease and the API first, then the agents: at 10,000 clusters their hellos, syncs and heartbeats arrive
      // at once, and a lease query or the first request must not wait behind them for a database connection.
      await leadership.start();
      stepDone("leaseMs");
      await new Promise<void>((resolve) => {
        server = serve({ fetch: api.fetch, hostname: config.host, port: config.port }, (info: AddressInfo) => {
          this.url = `http://${config.host}:${info.port}`;
          resolve();
        });
      });
      stepDone("listenMs");
      // Silence before this moment is this hub's deafness, not the clusters'.
      listeningSince = clock.now();
      bus?.start();
      timers.push(setInterval(() => void scheduler.kick(), config.queueIntervalMs));
      timers.push(setInterval(() => void relay.kick(), config.relayIntervalMs));
      timers.push(setInterval(() => void upkeep.tick().catch(onFailure("upkeep")), config.upkeepIntervalMs));
      // What the first submission after a start would otherwise build on its way to a 201: the Kubernetes schemas
      // and the empty fleet admission checks against (again whenever a cluster joins or leaves); and the scheduler's
      // snapshot and engine. Only once the fleet has settled (no cluster joined or left since the last tick): while
      // 10,000 agents say hello after a start, warming every tick would compile the fleet again and again.
      let lastMembership = -1;
      timers.push(
        setInterval(() => {
          const membership = view.membership();
          const settled = membership === lastMembership;
          lastMembership = membership;
          if (!settled) return;
          admission.warm();
          if (leadership.isLeader()) void scheduler.warm().catch(onFailure("warming the scheduler"));
        }, config.upkeepIntervalMs),
      );
      void preloadTemplateSchemas().catch((e: unknown) =>
        logger.warn({ err: e }, "could not load Kubernetes' schemas ahead of the first submission"),
      );
      timers.push(
        setInterval(() => void autoscaling.tick().catch(onFailure("autoscaling")), config.autoscaleIntervalMs),
      );
      void relay.kick();
      void scheduler.kick();
      logger.info(
        {
          url: this.url,
          database: database.kind,
          nats: config.natsUrl,
          leader: leadership.isLeader(),
          startup: { ...startup, processMs: Math.round(process.uptime() * 1000) },
        },
        "hub started",
      );
    },
    /**
     * Stop within a few seconds whatever state NATS and the database are in: stop taking requests, let running
     * work finish (bounded), give up the lease so another replica takes over at once, then close connections.
     */
    close(): Promise<void> {
      closing ??= (async () => {
        for (const t of timers) clearInterval(t);
        scheduler.close();
        await withTimeout(
          new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
          1_000,
          "HTTP server close",
        ).catch(() => (server as { closeAllConnections?: () => void } | undefined)?.closeAllConnections?.());
        await withTimeout(Promise.all([scheduler.idle(), relay.idle(), bus?.idle()]), 1_500, "work in flight").catch(
          () => undefined,
        );
        await bus?.close();
        await withTimeout(leadership.close(), 500, "lease release").catch(() => undefined);
        await withTimeout(nc.drain(), 500, "NATS drain").catch(() => nc.close());
        if (!deps.database) await withTimeout(database.close(), 1_000, "database close").catch(() => undefined);
      })();
      return closing;
    },
  };
};
export type Hub = Awaited<ReturnType<typeof createHub>>;
