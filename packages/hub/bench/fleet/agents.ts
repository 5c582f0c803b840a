/**
 * A child of the fleet benchmark: runs a slice of the simulated fleet as real agents (`createAgent` with the simulated
 * driver: the real hello, heartbeat, status and sync messages), a few hundred clusters per NATS connection. It
 * watches what its agents send and receive — without changing it — and tells the parent over IPC: heartbeat round
 * trips (sent → the hub's ack, which the hub sends once the heartbeat is in its fleet view), when an agent first
 * reports a workload Running, and which agents hold the hub's current desired state after a mark.
 */
import { type Agent, createAgent, createSimulatedDriver } from "@gantry/agent";
import type { FleetCluster } from "@gantry/shared";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import pino from "pino";

export interface AgentsInit {
  type: "init";
  natsUrl: string;
  clusters: FleetCluster[];
  perConnection: number;
  heartbeatMs: number;
}
export type ToAgents = AgentsInit | { type: "stats" } | { type: "mark" } | { type: "synced" } | { type: "stop" };
export type FromAgents =
  | { type: "started"; agents: number; connections: number }
  | { type: "running"; workload: string; at: number }
  | { type: "stats"; rtts: number[]; timeouts: number }
  | { type: "synced"; synced: number; of: number };

const send = (m: FromAgents) => process.send?.(m);

/** Per cluster: the last ack after the mark, and whether it said the agent holds the hub's current revision. */
const syncedAfterMark = new Map<string, boolean>();
let markAt = Number.POSITIVE_INFINITY;
let rtts: number[] = [];
let timeouts = 0;
const running = new Set<string>();

const td = new TextDecoder();
const text = (data: unknown): string => (typeof data === "string" ? data : td.decode(data as Uint8Array));

/**
 * One agent's view of a shared connection: the same connection, observed. It does not drain or close the shared
 * connection when the agent stops (the other agents still use it).
 */
const observed = (nc: NatsConnection, cluster: string): NatsConnection =>
  new Proxy(nc, {
    get(target, prop, receiver) {
      if (prop === "drain" || prop === "close") return async () => undefined;
      if (prop === "publish") {
        return (subject: string, data?: string | Uint8Array, opts?: unknown) => {
          if (subject.endsWith(".status") && data !== undefined) {
            const body = JSON.parse(text(data)) as { statuses: { workload: string; phase: string }[] };
            for (const s of body.statuses) {
              if (s.phase === "Running" && !running.has(s.workload)) {
                running.add(s.workload);
                send({ type: "running", workload: s.workload, at: Date.now() });
              }
            }
          }
          return target.publish(subject, data, opts as never);
        };
      }
      if (prop === "request") {
        return async (subject: string, data?: string | Uint8Array, opts?: unknown) => {
          const sent = performance.now();
          const sentWall = Date.now();
          try {
            const reply = await target.request(subject, data, opts as never);
            if (subject.endsWith(".heartbeat")) {
              rtts.push(performance.now() - sent);
              if (sentWall >= markAt && data !== undefined) {
                const held = (JSON.parse(text(data)) as { revision: number }).revision;
                const ack = reply.json<{ revision: number }>();
                syncedAfterMark.set(cluster, ack.revision <= held);
              }
            }
            return reply;
          } catch (e) {
            if (subject.endsWith(".heartbeat")) timeouts++;
            throw e;
          }
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });

const start = async (init: AgentsInit): Promise<Agent[]> => {
  const logger = pino({ level: "silent" });
  const agents: Agent[] = [];
  let connections = 0;
  for (let i = 0; i < init.clusters.length; i += init.perConnection) {
    const slice = init.clusters.slice(i, i + init.perConnection);
    const nc = await connect({
      servers: init.natsUrl,
      name: `bench-agents-${process.pid}-${connections++}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
    for (let j = 0; j < slice.length; j += 50) {
      await Promise.all(
        slice.slice(j, j + 50).map(async (cluster) => {
          const agent = createAgent({
            config: { cluster: cluster.name, natsUrl: init.natsUrl, heartbeatIntervalMs: init.heartbeatMs },
            driver: createSimulatedDriver({ cluster, now: () => new Date(), secondsPerHour: 3_600, tickMs: 1_000 }),
            logger,
            connectNats: async () => observed(nc, cluster.name),
          });
          await agent.start();
          agents.push(agent);
        }),
      );
    }
  }
  send({ type: "started", agents: agents.length, connections });
  return agents;
};

let agents: Agent[] = [];
let total = 0;
process.on("message", (m: ToAgents) => {
  if (m.type === "init") {
    total = m.clusters.length;
    start(m).then(
      (a) => {
        agents = a;
      },
      (e: unknown) => {
        process.stderr.write(`agents failed to start: ${(e as Error).stack}\n`);
        process.exit(1);
      },
    );
  } else if (m.type === "stats") {
    send({ type: "stats", rtts, timeouts });
    rtts = [];
    timeouts = 0;
  } else if (m.type === "mark") {
    markAt = Date.now();
    syncedAfterMark.clear();
  } else if (m.type === "synced") {
    let synced = 0;
    for (const ok of syncedAfterMark.values()) if (ok) synced++;
    send({ type: "synced", synced, of: total });
  } else if (m.type === "stop") {
    void Promise.all(agents.map((a) => a.close())).finally(() => process.exit(0));
  }
});
