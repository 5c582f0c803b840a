import {
  clusterOfSubject,
  type DesiredState,
  HeartbeatMessage,
  HelloMessage,
  StatusMessage,
  SyncRequest,
  subjects,
  traceHeaders,
} from "@gantry/shared";
import { headers, type Msg, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { SpanKind, trace } from "@opentelemetry/api";
import type { z } from "zod";
import type { Logger } from "../util/logger.ts";

const tracer = trace.getTracer("gantry-hub");

export interface HubBusHandlers {
  hello(message: HelloMessage): Promise<void>;
  heartbeat(message: HeartbeatMessage): Promise<void>;
  status(message: StatusMessage): Promise<void>;
  /** Answer a sync request with the cluster's full desired state. */
  sync(message: SyncRequest): Promise<DesiredState>;
}

/**
 * The hub's side of NATS: parses what agents send (once, at the boundary) and publishes desired
 * state. A message whose subject and body name different clusters is dropped: an agent may only
 * speak for its own cluster.
 */
export const createHubBus = (deps: {
  nc: NatsConnection;
  logger: Logger;
  handlers: HubBusHandlers;
  /** Counts each message by kind and whether it passed the boundary checks. */
  onMessage?: (kind: string, accepted: boolean) => void;
}) => {
  const { nc, logger, handlers } = deps;
  const count = (subject: string, accepted: boolean) =>
    deps.onMessage?.(subject.split(".").pop() ?? "unknown", accepted);
  const subs: Subscription[] = [];

  /** Parse a message at the boundary; undefined (and a log line) when it must be dropped. */
  const admit = <S extends z.ZodType<{ cluster: string }>>(msg: Msg, schema: S): z.infer<S> | undefined => {
    let body: unknown;
    try {
      body = msg.json();
    } catch {
      logger.warn({ subject: msg.subject }, "dropped a message that is not JSON");
      return undefined;
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      logger.warn({ subject: msg.subject, issues: parsed.error.issues.slice(0, 3) }, "dropped invalid message");
      return undefined;
    }
    if (clusterOfSubject(msg.subject) !== parsed.data.cluster) {
      logger.warn({ subject: msg.subject, cluster: parsed.data.cluster }, "dropped message for another cluster");
      return undefined;
    }
    return parsed.data;
  };

  const listen = <S extends z.ZodType<{ cluster: string }>>(
    subject: string,
    schema: S,
    handle: (message: z.infer<S>, msg: Msg) => Promise<void>,
  ) => {
    const sub = nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error) return logger.error({ err: error, subject }, "subscription error");
        const parsed = admit(msg, schema);
        count(msg.subject, parsed !== undefined);
        if (!parsed) return;
        handle(parsed, msg).catch((e: unknown) => logger.error({ err: e, subject: msg.subject }, "handler failed"));
      },
    });
    subs.push(sub);
  };

  return {
    start(): void {
      listen(subjects.allHello, HelloMessage, (m) => handlers.hello(m));
      listen(subjects.allHeartbeats, HeartbeatMessage, (m) => handlers.heartbeat(m));
      listen(subjects.allStatus, StatusMessage, (m) => handlers.status(m));
      listen(subjects.allSync, SyncRequest, async (m, msg) => {
        msg.respond(JSON.stringify(await handlers.sync(m)));
      });
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
          nc.publish(subjects.desired(cluster), JSON.stringify(state), { headers: h });
          span.end();
        },
      );
    },
    async close(): Promise<void> {
      for (const sub of subs) sub.unsubscribe();
      subs.length = 0;
    },
  };
};
export type HubBus = ReturnType<typeof createHubBus>;
