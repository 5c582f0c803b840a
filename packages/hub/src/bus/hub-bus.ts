import {
  CapacityReport,
  clusterOfSubject,
  DesiredState,
  type HeartbeatAck,
  HeartbeatMessage,
  HelloMessage,
  kindOfSubject,
  SignalsMessage,
  StatusMessage,
  SyncRequest,
  subjects,
  traceHeaders,
} from "@gantry/shared";
import { headers, type Msg, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { SpanKind, trace } from "@opentelemetry/api";
import { z } from "zod";
import type { FleetView, SessionVerdict } from "../fleet/view.ts";
import type { Logger } from "../util/logger.ts";
import { sameJson } from "../util/same-json.ts";
import { latestPerKey, orderedPerKey } from "./queues.ts";

const tracer = trace.getTracer("gantry-hub");

/** What the hub does with agent messages that passed the boundary checks. */
export interface HubBusHandlers {
  /** A hello from a cluster's agent (the view's session is already updated). Rejections are retried. */
  hello(cluster: string, message: HelloMessage): Promise<void>;
  /** A heartbeat; the answer renews the agent's lease (undefined: this replica does not answer). */
  heartbeat(cluster: string, message: HeartbeatMessage): HeartbeatAck | undefined;
  /** A status report, applied in order per cluster; a rejection (database down) is retried, never dropped. */
  status(cluster: string, message: StatusMessage): Promise<void>;
  /** The cluster's full desired state (undefined: this replica does not answer). */
  sync(cluster: string, message: SyncRequest): Promise<DesiredState | undefined>;
  signals(cluster: string, message: SignalsMessage): void;
  /** A desired state some hub replica published (keeps every replica's cache warm). */
  published?(cluster: string, state: DesiredState): void;
}

/** Why a message was dropped: the `reason` label of `gantry_agent_messages_total`. */
export type DropReason =
  | "not_json"
  | "invalid"
  | "cluster_mismatch"
  | "overload"
  | Exclude<SessionVerdict, "ok">
  | "handler_failed";

export interface HubBusOptions {
  /** Most clusters whose messages may wait at once (bounds memory whatever agents send). */
  maxClusters?: number;
  /** Status reports applied at once, across clusters. */
  statusConcurrency?: number;
  /** Status reports waiting per cluster before the newest are merged. */
  maxStatusesPerCluster?: number;
  /** Queue group for messages one replica should handle (status, sync). */
  queue?: string;
}

/** A heartbeat with its capacity left unread: the capacity is checked apart (`heartbeats` below). */
const HeartbeatEnvelope = HeartbeatMessage.extend({ capacity: z.unknown() });

const mergeStatuses = (older: StatusMessage, newer: StatusMessage): StatusMessage => {
  const byUid = new Map(older.statuses.map((s) => [s.uid, s]));
  for (const s of newer.statuses) byUid.set(s.uid, s);
  return { ...newer, full: older.full || newer.full, statuses: [...byUid.values()] };
};

/**
 * The hub's side of NATS. The cluster a message speaks for is the one in the subject the server let the agent
 * publish on — never the body: a body naming another cluster, an agent other than the one that said hello, or a
 * sequence number that does not grow is dropped and counted. Heartbeats are soft state (newest per cluster wins,
 * bounded); status reports are applied in order per cluster with bounded concurrency and retried on failure.
 */
export const createHubBus = (deps: {
  nc: NatsConnection;
  logger: Logger;
  view: FleetView;
  handlers: HubBusHandlers;
  /** Counts each message by kind, result and (for drops) reason. */
  onMessage?: (kind: string, result: "accepted" | "dropped" | "retried", reason?: DropReason) => void;
  options?: HubBusOptions;
}) => {
  const { logger, handlers, view } = deps;
  let nc = deps.nc;
  const options = deps.options ?? {};
  const maxClusters = options.maxClusters ?? 50_000;
  const subs: Subscription[] = [];
  const count = (kind: string, result: "accepted" | "dropped" | "retried", reason?: DropReason) =>
    deps.onMessage?.(kind, result, reason);
  const drop = (kind: string, reason: DropReason, detail: Record<string, unknown> = {}): undefined => {
    count(kind, "dropped", reason);
    logger.debug({ kind, reason, ...detail }, "dropped an agent message");
    return undefined;
  };

  /** Parse at the boundary and check identity; undefined (counted) when the message must be dropped. */
  const admit = <S extends z.ZodType<{ cluster: string; agentId: string; seq: number; sentAt: string }>>(
    msg: Msg,
    schema: S,
    session: boolean,
  ): { cluster: string; message: z.infer<S> } | undefined => {
    const kind = kindOfSubject(msg.subject) ?? "unknown";
    const cluster = clusterOfSubject(msg.subject);
    if (!cluster) return drop(kind, "invalid", { subject: msg.subject });
    let body: unknown;
    try {
      body = msg.json();
    } catch {
      return drop(kind, "not_json", { cluster });
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      return drop(kind, "invalid", { cluster, issues: parsed.error.issues.slice(0, 3) });
    }
    const message = parsed.data;
    if (message.cluster !== cluster) return drop(kind, "cluster_mismatch", { cluster, body: message.cluster });
    if (session) {
      const verdict = view.admit(cluster, kind, message.agentId, message.seq);
      if (verdict !== "ok") return drop(kind, verdict, { cluster, agent: message.agentId });
      view.observeClock(cluster, message.sentAt);
    }
    return { cluster, message };
  };

  /**
   * Capacity reports this process checked against the schema. A cluster's heartbeat nearly always reports what its
   * last one did; checking it again was most of the hub's heartbeat work (12 % of its CPU at 10,000 clusters). A
   * report equal, value for value, to the one this process last checked for that cluster is that one: it is valid
   * (no schema on this path transforms) and the view receives the same object, which tells it nothing changed.
   */
  const checked = new WeakSet<CapacityReport>();
  const capacityOf = (cluster: string, raw: unknown): CapacityReport | undefined => {
    const previous = view.get(cluster)?.capacity;
    if (previous && checked.has(previous) && sameJson(raw, previous)) return previous;
    const parsed = CapacityReport.safeParse(raw);
    if (!parsed.success) {
      return drop("heartbeat", "invalid", { cluster, issues: parsed.error.issues.slice(0, 3) });
    }
    checked.add(parsed.data);
    return parsed.data;
  };

  const heartbeats = latestPerKey<Msg>({
    maxKeys: maxClusters,
    handle: (_key, msg) => {
      const admitted = admit(msg, HeartbeatEnvelope, true);
      if (!admitted) return;
      const capacity = capacityOf(admitted.cluster, admitted.message.capacity);
      if (!capacity) return;
      count("heartbeat", "accepted");
      const ack = handlers.heartbeat(admitted.cluster, { ...admitted.message, capacity });
      if (ack && msg.reply) msg.respond(JSON.stringify(ack));
    },
    onError: (key, error) => {
      count("heartbeat", "dropped", "handler_failed");
      logger.error({ err: error, cluster: key }, "heartbeat handler failed");
    },
  });

  const hellos = orderedPerKey<{ cluster: string; message: HelloMessage }>({
    concurrency: 4,
    maxPerKey: 2,
    maxKeys: maxClusters,
    merge: (_older, newer) => newer,
    handle: (_key, { cluster, message }) => handlers.hello(cluster, message),
    onRetry: (cluster, error, attempt, delayMs) => {
      count("hello", "retried");
      logger.warn({ err: error, cluster, attempt, delayMs }, "could not record a hello; retrying");
    },
  });

  const statuses = orderedPerKey<{ cluster: string; message: StatusMessage }>({
    concurrency: options.statusConcurrency ?? 64,
    maxPerKey: options.maxStatusesPerCluster ?? 16,
    maxKeys: maxClusters,
    merge: (older, newer) => ({ cluster: newer.cluster, message: mergeStatuses(older.message, newer.message) }),
    handle: (_key, { cluster, message }) => handlers.status(cluster, message),
    onRetry: (cluster, error, attempt, delayMs) => {
      count("status", "retried");
      logger.warn({ err: error, cluster, attempt, delayMs }, "could not apply a status report; retrying");
    },
  });

  let syncsInFlight = 0;
  const MAX_SYNCS = 64;

  const listen = (subject: string, callback: (msg: Msg) => void, queue?: string) => {
    subs.push(
      nc.subscribe(subject, {
        ...(queue ? { queue } : {}),
        callback: (error, msg) => {
          if (error) return logger.error({ err: error, subject }, "subscription error");
          callback(msg);
        },
      }),
    );
  };

  const subscribe = () => {
    const queue = options.queue ?? "gantry-hub";
    listen(subjects.allHeartbeats, (msg) => {
      const cluster = clusterOfSubject(msg.subject) ?? "";
      if (!heartbeats.offer(cluster, msg)) drop("heartbeat", "overload", { cluster });
    });
    listen(subjects.allHello, (msg) => {
      const admitted = admit(msg, HelloMessage, false);
      if (!admitted) return;
      const { cluster, message } = admitted;
      const verdict = view.hello(cluster, message.agentId, message.seq);
      if (verdict === "seq_backwards") return drop("hello", verdict, { cluster });
      count("hello", "accepted");
      if (!hellos.offer(cluster, { cluster, message })) drop("hello", "overload", { cluster });
    });
    listen(
      subjects.allStatus,
      (msg) => {
        const admitted = admit(msg, StatusMessage, true);
        if (!admitted) return;
        count("status", "accepted");
        if (!statuses.offer(admitted.cluster, admitted)) drop("status", "overload", { cluster: admitted.cluster });
      },
      queue,
    );
    listen(
      subjects.allSync,
      (msg) => {
        const admitted = admit(msg, SyncRequest, true);
        if (!admitted) return;
        if (syncsInFlight >= MAX_SYNCS) return drop("sync", "overload", { cluster: admitted.cluster });
        count("sync", "accepted");
        syncsInFlight++;
        handlers
          .sync(admitted.cluster, admitted.message)
          .then((state) => {
            if (state && msg.reply) msg.respond(JSON.stringify(state));
          })
          .catch((e: unknown) => logger.warn({ err: e, cluster: admitted.cluster }, "sync failed; the agent retries"))
          .finally(() => syncsInFlight--);
      },
      queue,
    );
    listen(subjects.allSignals, (msg) => {
      const admitted = admit(msg, SignalsMessage, true);
      if (!admitted) return;
      count("signals", "accepted");
      handlers.signals(admitted.cluster, admitted.message);
    });
    if (handlers.published) {
      const published = handlers.published;
      listen(subjects.allDesired, (msg) => {
        try {
          const state = DesiredState.parse(msg.json());
          published(state.cluster, state);
        } catch {
          // Only hubs can publish here (server-enforced); a state we cannot read is simply not cached.
        }
      });
    }
  };

  return {
    start(): void {
      subscribe();
    },
    /** Use another connection (after the hub reconnected with new credentials): resubscribe on it. */
    useConnection(next: NatsConnection): void {
      for (const sub of subs) sub.unsubscribe();
      subs.length = 0;
      nc = next;
      subscribe();
    },
    /** Publish a cluster's desired state, in a span whose context travels in the message's headers. */
    publishDesired(cluster: string, state: DesiredState): void {
      tracer.startActiveSpan(
        "gantry.desired.publish",
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            "gantry.cluster": cluster,
            "gantry.revision": state.revision,
            "gantry.placements": state.placements.length,
          },
        },
        (span) => {
          const h = headers();
          for (const [key, value] of Object.entries(traceHeaders())) h.set(key, value);
          try {
            // Throws on a closed connection: the relay then keeps the outbox row and tries again later.
            nc.publish(subjects.desired(cluster), JSON.stringify(state), { headers: h });
          } finally {
            span.end();
          }
        },
      );
    },
    /** Status reports and hellos still waiting (or retrying). */
    backlog: () => ({ statuses: statuses.waiting, hellos: hellos.waiting, heartbeats: heartbeats.size }),
    /** Resolves once every queued status report and hello has been applied. */
    async idle(): Promise<void> {
      await Promise.all([statuses.idle(), hellos.idle()]);
    },
    async close(): Promise<void> {
      for (const sub of subs) sub.unsubscribe();
      subs.length = 0;
      statuses.close();
      hellos.close();
    },
  };
};
export type HubBus = ReturnType<typeof createHubBus>;
