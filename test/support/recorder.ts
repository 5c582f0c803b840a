import { DesiredState, StatusMessage } from "@gantry/shared";
import { connect, type NatsConnection } from "@nats-io/transport-node";

/** One message an agent published, as it arrived on the bus. */
export interface RecordedMessage {
  subject: string;
  cluster: string;
  kind: string;
  /** Recorder's wall clock (ms) on arrival. */
  arrivedAt: number;
  /** The bytes as sent, for replays. */
  data: Uint8Array;
  /** Parsed envelope fields every agent message has (undefined when the body is not one). */
  agentId?: string;
  seq?: number;
  /** The agent's own clock (ms), from `sentAt`. */
  sentAt?: number;
}

/** A status report with its arrival time. */
export interface RecordedStatus extends RecordedMessage {
  report: StatusMessage;
}

export interface RecordedDesired {
  cluster: string;
  arrivedAt: number;
  state: DesiredState;
}

/**
 * Listens to everything agents publish (`gantry.v1.agent.>`) and every desired state hubs publish, keeping each
 * message with its arrival time: the independent record the checker (reliability.ts) judges the system by. On this
 * branch the bus has no authentication, so a plain connection sees every subject. It reconnects by itself when
 * nats-server restarts.
 */
export interface Recorder {
  readonly messages: readonly RecordedMessage[];
  statuses(): RecordedStatus[];
  desired(): RecordedDesired[];
  /** Publish recorded messages again, byte for byte (duplicates, late copies); returns how many. */
  replay(pick: (m: RecordedMessage) => boolean): Promise<number>;
  /** Wait until the recorder has seen a message matching `pick` (arriving after `since`, if given). */
  waitFor(pick: (m: RecordedMessage) => boolean, what: string, timeoutMs?: number): Promise<RecordedMessage>;
  close(): Promise<void>;
}

const envelopeOf = (body: unknown): { agentId?: string; seq?: number; sentAt?: number } => {
  if (typeof body !== "object" || body === null) return {};
  const b = body as { agentId?: unknown; seq?: unknown; sentAt?: unknown };
  return {
    ...(typeof b.agentId === "string" ? { agentId: b.agentId } : {}),
    ...(typeof b.seq === "number" ? { seq: b.seq } : {}),
    ...(typeof b.sentAt === "string" && !Number.isNaN(Date.parse(b.sentAt)) ? { sentAt: Date.parse(b.sentAt) } : {}),
  };
};

export const startRecorder = async (natsUrl: string): Promise<Recorder> => {
  const nc: NatsConnection = await connect({
    servers: natsUrl,
    name: "fault-recorder",
    maxReconnectAttempts: -1,
    reconnectTimeWait: 200,
  });
  const messages: RecordedMessage[] = [];
  const statuses: RecordedStatus[] = [];
  const desired: RecordedDesired[] = [];

  nc.subscribe("gantry.v1.agent.>", {
    callback: (error, msg) => {
      if (error) return;
      const arrivedAt = Date.now();
      const parts = msg.subject.split(".");
      let body: unknown;
      try {
        body = msg.json();
      } catch {
        body = undefined;
      }
      const m: RecordedMessage = {
        subject: msg.subject,
        cluster: parts[3] ?? "",
        kind: parts[4] ?? "",
        arrivedAt,
        data: msg.data.slice(),
        ...envelopeOf(body),
      };
      messages.push(m);
      if (m.kind === "status") {
        const parsed = StatusMessage.safeParse(body);
        if (parsed.success) statuses.push({ ...m, report: parsed.data });
      }
    },
  });
  nc.subscribe("gantry.v1.hub.*.desired", {
    callback: (error, msg) => {
      if (error) return;
      try {
        const state = DesiredState.parse(msg.json());
        desired.push({ cluster: state.cluster, arrivedAt: Date.now(), state });
      } catch {
        // not a desired state: not ours to judge here
      }
    },
  });
  await nc.flush();

  return {
    messages,
    statuses: () => [...statuses],
    desired: () => [...desired],
    async replay(pick) {
      const chosen = messages.filter(pick);
      for (const m of chosen) nc.publish(m.subject, m.data);
      await nc.flush();
      return chosen.length;
    },
    async waitFor(pick, what, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find(pick);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`the recorder saw no ${what} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      await nc.close();
    },
  };
};
