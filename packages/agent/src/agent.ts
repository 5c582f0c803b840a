import { randomUUID } from "node:crypto";
import {
  agentInboxPrefix,
  contextFromHeaders,
  DesiredState,
  envelopeFor,
  type HeartbeatMessage,
  type HelloMessage,
  inSpan,
  natsServerOptions,
  type Placement,
  type StatusMessage,
  type SyncRequest,
  subjects,
} from "@gantry/shared";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type Context, context, SpanKind, trace } from "@opentelemetry/api";
import { AgentConfig, type AgentConfigInput } from "./config.ts";
import type { ClusterDriver } from "./drivers/driver.ts";
import type { AgentLogger } from "./logger.ts";

export const AGENT_VERSION = "0.1.0";

const tracer = trace.getTracer("gantry-agent");

export interface AgentDeps {
  config: AgentConfigInput;
  driver: ClusterDriver;
  /** Should already carry the cluster's name (a pino child logger does): the agent does not repeat it. */
  logger: AgentLogger;
  now?: () => Date;
}

/**
 * The agent's composition root: it reports the cluster (hello, heartbeats, statuses) and converges
 * it on the desired state the hub sends, pulling the full state on start, on reconnect and
 * periodically. It publishes only under its own cluster's subjects.
 */
export const createAgent = (deps: AgentDeps) => {
  const config = AgentConfig.parse(deps.config);
  const { driver, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const cluster = config.cluster;
  const agentId = config.agentId ?? `${cluster}-${randomUUID().slice(0, 8)}`;
  const timers: NodeJS.Timeout[] = [];
  let nc: NatsConnection | undefined;
  let desired: Placement[] = [];
  let revision = -1;
  /** Trace context of the last desired state pushed by the hub, for the reconcile it causes. */
  let pushedFrom: Context | undefined;
  let seq = 0;
  let closed = false;
  let reconciling: Promise<void> | undefined;
  let reconcileAgain = false;
  let reportTimer: NodeJS.Timeout | undefined;

  const leader = () => driver.leadership?.isLeader() ?? true;
  const send = (subject: string, body: object) => {
    if (nc && !nc.isClosed()) nc.publish(subject, JSON.stringify(body));
  };

  const hello = () => {
    if (!leader()) return;
    const m: HelloMessage = {
      ...envelopeFor(cluster, now()),
      kind: "hello",
      agentId,
      agentVersion: AGENT_VERSION,
      driver: driver.kind,
      description: driver.describe(),
    };
    send(subjects.hello(cluster), m);
  };

  const heartbeat = () => {
    if (!leader()) return;
    const m: HeartbeatMessage = {
      ...envelopeFor(cluster, now()),
      kind: "heartbeat",
      agentId,
      seq: seq++,
      capacity: driver.capacity(),
    };
    send(subjects.heartbeat(cluster), m);
  };

  const reportStatus = async () => {
    if (!leader()) return;
    const m: StatusMessage = { ...envelopeFor(cluster, now()), kind: "status", statuses: await driver.statuses() };
    send(subjects.status(cluster), m);
  };

  /** Debounced report after a change: many changes in a burst become one heartbeat and one status. */
  const reportSoon = () => {
    if (reportTimer) return;
    reportTimer = setTimeout(() => {
      reportTimer = undefined;
      heartbeat();
      reportStatus().catch((e: unknown) => logger.error({ err: e }, "status report failed"));
    }, 100);
  };

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
        const attributes = {
          "gantry.cluster": cluster,
          "gantry.revision": revision,
          "gantry.placements": desired.length,
        };
        await tracer.startActiveSpan(
          "gantry.agent.reconcile",
          { kind: SpanKind.CONSUMER, attributes },
          parent,
          (span) =>
            inSpan(span, () => driver.reconcile(desired)).catch((e: unknown) => {
              logger.error({ err: e }, "reconcile failed; will retry on the next resync");
            }),
        );
      } while (reconcileAgain);
      reconciling = undefined;
      reportSoon();
    })();
    return reconciling;
  };

  const accept = (state: DesiredState, authoritative: boolean, traceContext?: Context) => {
    if (!authoritative && state.revision < revision) {
      logger.debug({ revision: state.revision, have: revision }, "dropped a stale desired state");
      return;
    }
    revision = state.revision;
    desired = state.placements;
    if (traceContext) pushedFrom = traceContext;
    void reconcile();
  };

  /** Pull the full desired state; the reply is authoritative even if its revision went back (hub restore). */
  const sync = async (): Promise<boolean> => {
    if (!nc || !leader()) return false;
    const request: SyncRequest = { ...envelopeFor(cluster, now()), kind: "sync", agentId };
    try {
      const reply = await nc.request(subjects.sync(cluster), JSON.stringify(request), { timeout: 5_000 });
      const parsed = DesiredState.safeParse(reply.json());
      if (!parsed.success) {
        logger.warn({ issues: parsed.error.issues.slice(0, 3) }, "hub sent an invalid desired state");
        return false;
      }
      accept(parsed.data, true);
      return true;
    } catch (e) {
      logger.warn({ err: e }, "sync failed; will retry");
      return false;
    }
  };

  const greet = async () => {
    hello();
    heartbeat();
    await nc?.flush().catch(() => undefined);
    await sync();
  };

  const watchConnection = async (conn: NatsConnection) => {
    for await (const s of conn.status()) {
      if (s.type === "reconnect") {
        logger.info({}, "reconnected to NATS; resyncing");
        void greet();
      } else if (s.type === "disconnect") {
        logger.warn({}, "disconnected from NATS");
      }
    }
  };

  return {
    agentId,
    get revision() {
      return revision;
    },
    async start() {
      await driver.start();
      nc = await connect({
        ...natsServerOptions(config.natsUrl),
        name: `gantry-agent-${cluster}`,
        inboxPrefix: agentInboxPrefix(cluster),
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        waitOnFirstConnect: true,
      });
      nc.subscribe(subjects.desired(cluster), {
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
      void watchConnection(nc);
      driver.onChange(reportSoon);
      driver.leadership?.onChange((isLeader) => {
        logger.info({ leader: isLeader }, "leadership changed");
        if (isLeader) void greet();
      });
      timers.push(setInterval(heartbeat, config.heartbeatIntervalMs));
      timers.push(setInterval(() => void reportStatus().catch(() => undefined), config.statusIntervalMs));
      timers.push(
        setInterval(() => {
          // A hub that lost us (restarted on a fresh database) learns who we are again.
          hello();
          void sync();
        }, config.resyncIntervalMs),
      );
      await greet();
      logger.info({ agentId, driver: driver.kind }, "agent started");
    },
    /** Wait until the current reconcile (if any) has finished. */
    async idle() {
      while (reconciling) await reconciling;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearInterval(t);
      if (reportTimer) clearTimeout(reportTimer);
      await this.idle();
      await nc?.drain().catch(() => undefined);
      await driver.close();
    },
  };
};
export type Agent = ReturnType<typeof createAgent>;
