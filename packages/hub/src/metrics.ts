import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The hub's Prometheus metrics, on a registry of its own (no global state; tests get their own). */
export const createMetrics = () => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "gantry_hub_" });
  // prom-client's gauges named like counters (promtool refuses them); the same numbers stay, by type, in
  // gantry_hub_nodejs_active_{handles,requests,resources}.
  for (const what of ["handles", "requests", "resources"]) {
    registry.removeSingleMetric(`gantry_hub_nodejs_active_${what}_total`);
  }
  /** Families rendered by hand (`fleet-metrics.ts`), appended to the registry's in the exposition. */
  const texts: (() => string)[] = [];
  return {
    registry,
    /** Add families rendered as Prometheus text (each a whole family: HELP, TYPE, samples, ending in a newline). */
    addText: (render: () => string) => {
      texts.push(render);
    },
    /** The whole exposition, what `GET /metrics` answers: the registry's families, then the hand-rendered ones. */
    exposition: async (): Promise<string> => {
      const rendered = texts.map((f) => f()).join("\n");
      return rendered === "" ? registry.metrics() : `${await registry.metrics()}\n${rendered}`;
    },
    decisions: new Counter({
      name: "gantry_decisions_total",
      help: "Placement decisions, by outcome",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    decisionSeconds: new Histogram({
      name: "gantry_decision_duration_seconds",
      help: "Time the placement engine took for one decision",
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1],
      registers: [registry],
    }),
    batches: new Counter({
      name: "gantry_batch_plans_total",
      help: "Passes that also decided their waiting workloads as one batch, by whether the batch was kept",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
    passSeconds: new Histogram({
      name: "gantry_pass_duration_seconds",
      help: "Time one scheduling pass took to decide (queue order and batch), before recording",
      buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 2, 5],
      registers: [registry],
    }),
    serviceDesired: new Gauge({
      name: "gantry_service_replicas_desired",
      help: "Replicas the autoscaler wants for a service in a cluster",
      labelNames: ["tenant", "workload", "cluster"] as const,
      registers: [registry],
    }),
    serviceReady: new Gauge({
      name: "gantry_service_replicas_ready",
      help: "Replicas of a service that serve in a cluster (past their cold start), as its agent reports",
      labelNames: ["tenant", "workload", "cluster"] as const,
      registers: [registry],
    }),
    scalingDecisions: new Counter({
      name: "gantry_scaling_decisions_total",
      help: "Replica count changes the autoscaler applied, by direction (out, in)",
      labelNames: ["direction"] as const,
      registers: [registry],
    }),
    pending: new Gauge({
      name: "gantry_pending_workloads",
      help: "Workloads waiting in the queue",
      registers: [registry],
    }),
    messages: new Counter({
      name: "gantry_agent_messages_total",
      help: "Messages received from agents, by kind, result (accepted, dropped, retried) and why one was dropped",
      labelNames: ["kind", "result", "reason"] as const,
      registers: [registry],
    }),
    leader: new Gauge({
      name: "gantry_hub_leader",
      help: "1 while this hub replica holds the leader lease (schedules, publishes, runs upkeep)",
      registers: [registry],
    }),
    publishes: new Counter({
      name: "gantry_desired_state_publishes_total",
      help: "Desired states published to agents",
      registers: [registry],
    }),
  };
};
export type Metrics = ReturnType<typeof createMetrics>;
