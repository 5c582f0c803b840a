import { randomUUID } from "node:crypto";
import {
  agentInboxPrefix,
  contextFromHeaders,
  DesiredState,
  envelopeFor,
  HeartbeatAck,
  type HeartbeatMessage,
  type HelloMessage,
  inSpan,
  natsServerOptions,
  type Placement,
  type PlacementStatus,
  partitionPolicyOf,
  placementKey,
  type SignalsMessage,
  type StatusMessage,
  type SyncRequest,
  subjects,
} from "@gantry/shared";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type Context, context, SpanKind, trace } from "@opentelemetry/api";
import { type CredentialsWatch, credsFileAuthenticator, watchCredentials } from "./bus/credentials.ts";
import { AgentConfig, type AgentConfigInput } from "./config.ts";
import type { ClusterDriver } from "./drivers/driver.ts";
import type { AgentLogger } from "./logger.ts";
import { createLogsServer } from "./logs.ts";

export const AGENT_VERSION = "0.2.0";

const tracer = trace.getTracer("gantry-agent");

export interface AgentDeps {
  config: AgentConfigInput;
  driver: ClusterDriver;
  /** Should already carry the cluster's name (a pino child logger does): the agent does not repeat it. */
  logger: AgentLogger;
  now?: () => Date;
  /** Monotonic milliseconds (leases are timed with it, never with the wall clock). */
  monotonic?: () => number;
  /** Open the NATS connection (credentials, TLS); by default from the config's URL. */
  connectNats?: (options: { name: string; inboxPrefix: string }) => Promise<NatsConnection>;
}

/** The key fenced placements are remembered by: one incarnation and generation. */
const fenceKey = (p: { uid: string; generation: number }) => `${p.uid}@${p.generation}`;

/**
 * The agent's composition root: it reports the cluster (hello, heartbeats, statuses, serving signals) and converges it
 * on the desired state the hub sends, pulling the full state on start, on reconnect and when a heartbeat ack says it
 * is behind. It publishes only under its own cluster's subjects.
 *
 * Leases and fencing: every heartbeat is a request; the leading hub's ack grants a lease of `leaseSeconds`, counted
 * from when the heartbeat was *sent*. An agent whose lease ran out — cut off from the hub — stops the workloads whose
 * partition policy is `stop` (jobs, by default) and reports them `Failed` with reason `fenced`; services keep serving.
 * The hub fails such a job over only after the lease has surely run out, so a job never runs in two clusters.
 */
export const createAgent = (deps: AgentDeps) => {
  const config = AgentConfig.parse(deps.config);
  const { driver, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const monotonic = deps.monotonic ?? (() => performance.now());
  const cluster = config.cluster;
  const agentId = config.agentId ?? `${cluster}-${randomUUID().slice(0, 8)}`;
  const timers: NodeJS.Timeout[] = [];
  let nc: NatsConnection | undefined;
  let desired: Placement[] = [];
  let origin: string | undefined;
  let revision = -1;
  /** Trace context of the last desired state pushed by the hub, for the reconcile it causes. */
  let pushedFrom: Context | undefined;
  // Sequence numbers start from the clock, so they keep growing across restarts of the agent.
  let seq = Date.now() * 1_000;
  let closed = false;
  let reconciling: Promise<void> | undefined;
  let reconcileAgain = false;
  let reportTimer: NodeJS.Timeout | undefined;
  /** Monotonic time until which the agent may run `stop` workloads; Infinity until the hub first grants a lease. */
  let leaseUntil = Number.POSITIVE_INFINITY;
  let fenceAfterMs = config.fenceAfterMsDefault;
  let fenced = false;
  /**
   * Placements this agent stopped because its lease ran out, and when: never started again; reported Failed with that
   * time, so a report that arrives late (after a partition) still says when the job stopped.
   */
  const stopped = new Map<string, Placement & { stoppedAt: string }>();
  let missedAcks = 0;
  let registered = true;

  const nextSeq = () => {
    seq = Math.max(seq + 1, Date.now() * 1_000);
    return seq;
  };
  const envelope = () => envelopeFor(cluster, agentId, nextSeq(), now());
  const leader = () => driver.leadership?.isLeader() ?? true;
  const send = (subject: string, body: object) => {
    if (!nc || nc.isClosed() || nc.isDraining()) return;
    try {
      nc.publish(subject, JSON.stringify(body));
    } catch (e) {
      // A connection closing under us (shutdown, credentials swapped): the next report carries the same state.
      logger.debug({ err: e }, "could not publish");
    }
  };

  const hello = () => {
    if (!leader()) return;
    const m: HelloMessage = {
      ...envelope(),
      kind: "hello",
      agentVersion: AGENT_VERSION,
      driver: driver.kind,
      description: driver.describe(),
    };
    send(subjects.hello(cluster), m);
  };

  /** Renew the lease from `sentAt` (monotonic): the hub heard us at or after then. */
  const renew = (sentAt: number, leaseSeconds: number) => {
    // Sent after the lease had run out (the process was frozen, or its event loop stalled): the hub may already have
    // run the work elsewhere, so fence what the lapse requires before the new lease covers it.
    if (sentAt > leaseUntil) checkLease();
    fenceAfterMs = leaseSeconds * 1_000;
    leaseUntil = Math.max(leaseUntil === Number.POSITIVE_INFINITY ? 0 : leaseUntil, sentAt + fenceAfterMs);
    if (fenced) {
      fenced = false;
      logger.info(
        { stopped: stopped.size },
        "the hub answers again; fenced workloads stay stopped until it re-places them",
      );
    }
  };

  const heartbeat = async () => {
    if (closed || !leader() || !nc || nc.isClosed() || nc.isDraining()) return;
    checkLease();
    const sentAt = monotonic();
    const m: HeartbeatMessage = { ...envelope(), kind: "heartbeat", revision, capacity: driver.capacity() };
    try {
      const reply = await nc.request(subjects.heartbeat(cluster), JSON.stringify(m), {
        timeout: config.heartbeatTimeoutMs,
      });
      const ack = HeartbeatAck.safeParse(reply.json());
      if (!ack.success) return void logger.warn({ issues: ack.error.issues.slice(0, 3) }, "hub sent an invalid ack");
      missedAcks = 0;
      renew(sentAt, ack.data.leaseSeconds);
      if (registered !== ack.data.registered) {
        registered = ack.data.registered;
        if (!registered)
          logger.warn({}, "the hub does not know this cluster as registered: no work until an operator approves it");
      }
      // Behind what the hub published (a lost message): pull the full state.
      if (ack.data.revision > revision) void sync();
    } catch {
      // No leader answered (none elected, hub down, partition); after two misses in a row, say who we are again.
      if (closed) return;
      if (++missedAcks >= 2) {
        missedAcks = 0;
        hello();
      }
    }
  };

  const statusesNow = async (): Promise<PlacementStatus[]> => {
    const out = await driver.statuses();
    for (const p of stopped.values()) {
      if (out.some((s) => s.uid === p.uid && s.generation === p.generation)) continue;
      out.push({
        uid: p.uid,
        tenant: p.tenant,
        workload: p.workload,
        generation: p.generation,
        phase: "Failed",
        reason: "fenced",
        replicas: p.replicas,
        readyReplicas: 0,
        message: `stopped after ${Math.round(fenceAfterMs / 1000)} s without the hub (partition policy stop)`,
        events: [],
        finishedAt: p.stoppedAt,
      });
    }
    return out;
  };

  const reportStatus = async (full: boolean) => {
    if (!leader()) return;
    // Whichever timer fires first after a pause, the lease is checked before anything is said or done.
    checkLease();
    const m: StatusMessage = { ...envelope(), kind: "status", full, revision, statuses: await statusesNow() };
    send(subjects.status(cluster), m);
  };

  const reportSignals = async () => {
    if (!leader() || !driver.servingSignals) return;
    const signals = await driver.servingSignals();
    if (signals.length === 0) return;
    const m: SignalsMessage = { ...envelope(), kind: "signals", signals };
    send(subjects.signals(cluster), m);
  };

  /** Debounced report after a change: many changes in a burst become one heartbeat and one status. */
  const reportSoon = () => {
    if (reportTimer) return;
    reportTimer = setTimeout(() => {
      reportTimer = undefined;
      void heartbeat();
      reportStatus(false).catch((e: unknown) => logger.error({ err: e }, "status report failed"));
    }, 100);
  };

  /** What the driver should run: the desired state minus what fencing stopped. */
  const runnable = (): Placement[] => desired.filter((p) => !stopped.has(fenceKey(p)));

  const reconcile = (): Promise<void> => {
    if (reconciling) {
      reconcileAgain = true;
      return reconciling;
    }
    reconciling = (async () => {
      do {
        reconcileAgain = false;
        if (!leader()) break;
        // Continue the trace of the newest desired state the hub pushed (its publish span), if any.
        const parent = pushedFrom ?? context.active();
        pushedFrom = undefined;
        const target = runnable();
        const attributes = {
          "gantry.cluster": cluster,
          "gantry.revision": revision,
          "gantry.placements": target.length,
        };
        await tracer.startActiveSpan(
          "gantry.agent.reconcile",
          { kind: SpanKind.CONSUMER, attributes },
          parent,
          (span) =>
            inSpan(span, () => driver.reconcile(target)).catch((e: unknown) => {
              logger.error({ err: e }, "reconcile failed; will retry on the next resync");
            }),
        );
      } while (reconcileAgain);
      reconciling = undefined;
      reportSoon();
    })();
    return reconciling;
  };

  /** Lease check: past the lease, stop every `stop` workload (once) and keep the rest serving. */
  const checkLease = () => {
    if (fenced || monotonic() <= leaseUntil) return;
    fenced = true;
    const victims = desired.filter((p) => partitionPolicyOf(p.spec) === "stop" && !stopped.has(fenceKey(p)));
    const stoppedAt = now().toISOString();
    for (const p of victims) stopped.set(fenceKey(p), { ...p, stoppedAt });
    logger.warn(
      { stopping: victims.map(placementKey), keeping: desired.length - victims.length },
      "no heartbeat ack from the hub within the lease: fencing (stopping jobs, keeping services)",
    );
    if (victims.length > 0) void reconcile();
  };

  /**
   * Take a desired state: one with another origin (the cluster was registered anew, or the hub's database is new)
   * replaces what we hold; within an origin, only a newer revision (a push) or a revision at least as new (a sync
   * reply) does, so a late or replayed message can never make us delete what the hub still wants.
   */
  const accept = (state: DesiredState, fromSync: boolean, traceContext?: Context) => {
    if (state.unchanged && state.origin === origin && state.revision === revision) return;
    const sameOrigin = state.origin === origin;
    if (sameOrigin && (fromSync ? state.revision < revision : state.revision <= revision)) {
      logger.debug({ revision: state.revision, have: revision }, "dropped a stale desired state");
      return;
    }
    if (state.unchanged) return void sync();
    origin = state.origin;
    revision = state.revision;
    fenceAfterMs = state.fenceAfterSeconds * 1_000;
    desired = state.placements;
    // Forget fenced placements the hub no longer asks for (it re-placed or ended them).
    const wanted = new Set(desired.map(fenceKey));
    for (const key of stopped.keys()) if (!wanted.has(key)) stopped.delete(key);
    if (traceContext) pushedFrom = traceContext;
    void reconcile();
  };

  /**
   * Pull the full desired state (or hear it is unchanged). The reply does not renew the lease: only the leader's
   * heartbeat acks do, because the leader decides failover from the heartbeats it hears.
   */
  let syncing: Promise<boolean> | undefined;
  const sync = (): Promise<boolean> => {
    syncing ??= pull().finally(() => {
      syncing = undefined;
    });
    return syncing;
  };
  const pull = async (): Promise<boolean> => {
    if (closed || !nc || nc.isClosed() || nc.isDraining() || !leader()) return false;
    const request: SyncRequest = {
      ...envelope(),
      kind: "sync",
      revision,
      ...(origin !== undefined ? { origin } : {}),
    };
    try {
      const reply = await nc.request(subjects.sync(cluster), JSON.stringify(request), { timeout: 5_000 });
      const parsed = DesiredState.safeParse(reply.json());
      if (!parsed.success || parsed.data.cluster !== cluster) {
        logger.warn(
          { issues: parsed.success ? [] : parsed.error.issues.slice(0, 3) },
          "hub sent an invalid desired state",
        );
        return false;
      }
      accept(parsed.data, true);
      return true;
    } catch (e) {
      logger.warn({ err: e }, "sync failed; will retry");
      return false;
    }
  };

  /**
   * Say who we are, then pull the desired state. After a lost connection, first report everything we hold (full):
   * the NATS client drops what was published while it was disconnected (it clears its buffer on every reconnect
   * attempt), so a job fenced during a partition would otherwise never be reported stopped — and the report must go
   * before the sync, whose newer desired state makes us forget placements the hub moved elsewhere.
   */
  const greet = async (afterOutage = false) => {
    hello();
    if (afterOutage) await reportStatus(true).catch((e: unknown) => logger.error({ err: e }, "status report failed"));
    await nc?.flush().catch(() => undefined);
    await sync();
    await heartbeat();
  };

  const watchConnection = async (conn: NatsConnection) => {
    for await (const s of conn.status()) {
      if (s.type === "reconnect") {
        logger.info({}, "reconnected to NATS; resyncing");
        void greet(true);
      } else if (s.type === "disconnect") {
        logger.warn({}, "disconnected from NATS");
      }
    }
  };

  const authenticator = config.natsCreds
    ? credsFileAuthenticator(config.natsCreds, {
        onError: (e) => logger.warn({ err: e }, "cannot read the credentials file; using the last good ones"),
      })
    : undefined;
  const connectNats =
    deps.connectNats ??
    ((o: { name: string; inboxPrefix: string }) =>
      connect({
        ...natsServerOptions(config.natsUrl),
        ...(authenticator ? { authenticator } : {}),
        name: o.name,
        inboxPrefix: o.inboxPrefix,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        waitOnFirstConnect: true,
        // Mid-rotation the server may refuse the old key before the new file lands: keep trying.
        ignoreAuthErrorAbort: true,
      }));
  let credsWatch: CredentialsWatch | undefined;

  const logs = createLogsServer({
    cluster,
    driver,
    publish: (subject, body) => nc?.publish(subject, body),
    logger,
  });
  /** A JSON body off the bus, or undefined (logged) when it is not JSON. */
  const jsonOf = (msg: { json(): unknown }, what: string): unknown => {
    try {
      return msg.json();
    } catch {
      logger.warn({}, `dropped a ${what} that is not JSON`);
      return undefined;
    }
  };

  const listen = (conn: NatsConnection) => {
    // Logs: only the leader answers (in DaemonSet mode every replica hears the request; one reply stream is enough).
    conn.subscribe(subjects.logs(cluster), {
      callback: (error, msg) => {
        if (error) return logger.error({ err: error }, "logs subscription failed");
        if (leader()) logs.request(jsonOf(msg, "logs request"));
      },
    });
    conn.subscribe(subjects.logsCancel(cluster), {
      callback: (error, msg) => {
        if (!error) logs.cancel(jsonOf(msg, "logs cancel"));
      },
    });
    conn.subscribe(subjects.desired(cluster), {
      callback: (error, msg) => {
        if (error) return logger.error({ err: error }, "desired-state subscription failed");
        let body: unknown;
        try {
          body = msg.json();
        } catch {
          return logger.warn({}, "dropped a desired state that is not JSON");
        }
        const parsed = DesiredState.safeParse(body);
        if (!parsed.success || parsed.data.cluster !== cluster) {
          return logger.warn({}, "dropped an invalid desired state");
        }
        accept(
          parsed.data,
          false,
          contextFromHeaders((key) => msg.headers?.get(key) || undefined),
        );
      },
    });
    void watchConnection(conn);
  };

  return {
    agentId,
    get revision() {
      return revision;
    },
    /** True while the lease has run out and `stop` workloads are held stopped. */
    get fenced() {
      return fenced;
    },
    async start() {
      await driver.start();
      nc = await connectNats({ name: `gantry-agent-${cluster}`, inboxPrefix: agentInboxPrefix(cluster) });
      listen(nc);
      driver.onChange(reportSoon);
      driver.leadership?.onChange((isLeader) => {
        logger.info({ leader: isLeader }, "leadership changed");
        if (isLeader) void greet();
      });
      timers.push(setInterval(() => void heartbeat(), config.heartbeatIntervalMs));
      timers.push(setInterval(() => void reportStatus(true).catch(() => undefined), config.statusIntervalMs));
      timers.push(setInterval(checkLease, Math.min(1_000, config.heartbeatIntervalMs)));
      if (driver.servingSignals) {
        timers.push(setInterval(() => void reportSignals().catch(() => undefined), config.heartbeatIntervalMs));
      }
      timers.push(
        setInterval(() => {
          // A hub that lost us (restarted on a fresh database) learns who we are again.
          hello();
          void sync();
        }, config.resyncIntervalMs),
      );
      await greet();
      if (config.natsCreds) {
        // Rotated credentials (a new Secret): connect with them first, then let the old connection go.
        credsWatch = watchCredentials(
          config.natsCreds,
          () => this.reconnect().then(() => logger.info({}, "reconnected with rotated credentials")),
          {
            intervalMs: config.credsCheckIntervalMs,
            onError: (e) => logger.warn({ err: e }, "credentials check failed"),
          },
        );
      }
      logger.info({ agentId, driver: driver.kind }, "agent started");
    },
    /**
     * Use a new NATS connection (rotated credentials): make it first, move the subscriptions, then drain the old one,
     * so no heartbeat is missed.
     */
    async reconnect(): Promise<void> {
      const next = await connectNats({ name: `gantry-agent-${cluster}`, inboxPrefix: agentInboxPrefix(cluster) });
      listen(next);
      const old = nc;
      nc = next;
      await greet();
      await old?.drain().catch(() => undefined);
    },
    /** Wait until the current reconcile (if any) has finished. */
    async idle() {
      while (reconciling) await reconciling;
    },
    /** Stop within a few seconds whatever state NATS is in. */
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearInterval(t);
      if (reportTimer) clearTimeout(reportTimer);
      credsWatch?.close();
      logs.close();
      await Promise.race([this.idle(), new Promise((r) => setTimeout(r, 2_000).unref())]);
      const conn = nc;
      if (conn) {
        await Promise.race([conn.drain(), new Promise((r) => setTimeout(r, 1_000).unref())]).catch(() => undefined);
        if (!conn.isClosed()) await conn.close().catch(() => undefined);
      }
      await driver.close();
    },
  };
};
export type Agent = ReturnType<typeof createAgent>;
