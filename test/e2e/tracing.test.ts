import { context, propagation, trace } from "@opentelemetry/api";
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aJob, threeClusterFleet } from "../support/fleets.ts";
import { eventually, type Stack, startStack } from "../support/stack.ts";

// A tracer provider registered as the CLI's startTracing does, exporting to memory instead of OTLP.
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

describe("tracing across the hub, NATS and an agent", () => {
  let stack: Stack;

  beforeAll(async () => {
    provider.register();
    stack = await startStack({ database: "pglite", fleet: threeClusterFleet(), secondsPerHour: 2 });
    await stack.readyClusters(3);
  });
  afterAll(async () => {
    await stack?.close();
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  const spans = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name);
  const attr = (s: ReadableSpan, key: string) => s.attributes[key];

  it("continues the hub's publish span in the agent's reconcile, through the message headers", async () => {
    const r = await stack.api("/workloads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(aJob("traced-1")),
    });
    expect(r.status).toBe(201);

    // The pass that placed it says where it went.
    const pass = await eventually(
      async () =>
        spans("gantry.schedule.pass").find((s) =>
          s.events.some((e) => e.name === "placed" && e.attributes?.["gantry.workload"] === "team-a/traced-1"),
        ),
      "a scheduling pass span with the placement",
    );
    const placed = pass.events.find((e) => e.attributes?.["gantry.workload"] === "team-a/traced-1");
    expect(placed?.attributes?.["gantry.assignments"]).toBe("onprem-a×2");
    expect(attr(pass, "gantry.placed")).toBeGreaterThanOrEqual(1);

    // The desired state for onprem-a was published in a span, and the agent's reconcile is its child.
    const linked = await eventually(async () => {
      for (const publish of spans("gantry.desired.publish")) {
        if (attr(publish, "gantry.cluster") !== "onprem-a") continue;
        const child = spans("gantry.agent.reconcile").find(
          (s) => s.parentSpanContext?.spanId === publish.spanContext().spanId,
        );
        if (child) return { publish, child };
      }
      return undefined;
    }, "an agent reconcile span whose parent is the hub's publish span");
    expect(linked.child.spanContext().traceId).toBe(linked.publish.spanContext().traceId);
    expect(attr(linked.child, "gantry.cluster")).toBe("onprem-a");
    expect(attr(linked.child, "gantry.revision")).toBe(attr(linked.publish, "gantry.revision"));
    expect(linked.child.instrumentationScope.name).toBe("gantry-agent");
    expect(linked.publish.instrumentationScope.name).toBe("gantry-hub");
  });
});
