import { context, propagation, trace } from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import { startTracing } from "./tracing.ts";

afterEach(() => {
  trace.disable();
  context.disable();
  propagation.disable();
});

describe("startTracing", () => {
  it("loads nothing without an OTLP endpoint: spans stay no-ops", async () => {
    const stop = await startTracing("gantry-test", {});
    const span = trace.getTracer("t").startSpan("s");
    expect(span.isRecording()).toBe(false);
    span.end();
    await stop();
  });

  it("records spans and propagates W3C trace context once an endpoint is set", async () => {
    // Nothing listens there; no span is exported before shutdown, so nothing is sent.
    const stop = await startTracing("gantry-test", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" });
    const span = trace.getTracer("t").startSpan("s");
    expect(span.isRecording()).toBe(true);
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), span), carrier);
    expect(carrier.traceparent).toMatch(
      new RegExp(`^00-${span.spanContext().traceId}-${span.spanContext().spanId}-01$`),
    );
    await stop();
  });
});
