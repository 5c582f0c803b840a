import {
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanStatusCode,
  type TextMapPropagator,
  trace,
} from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contextFromHeaders, inSpan, traceHeaders } from "./trace.ts";

const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const SPAN_ID = "b7ad6b7169203331";
/** The W3C header for that span, sampled (worked out by hand: version 00, trace id, span id, flags 01). */
const TRACEPARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;

/** What the last extraction saw as the carrier's keys. */
let keysSeen: string[] = [];

/**
 * A minimal W3C trace-context propagator (the SDK's is not a dependency of this package): it writes and reads
 * `traceparent`, and notes the keys the carrier offers, as propagators that walk a carrier's fields do.
 */
const w3c: TextMapPropagator = {
  inject(ctx, carrier, setter) {
    const sc = trace.getSpanContext(ctx);
    if (sc) setter.set(carrier, "traceparent", `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags}`);
  },
  extract(ctx, carrier, getter) {
    keysSeen = getter.keys(carrier);
    const header = getter.get(carrier, "traceparent");
    if (typeof header !== "string") return ctx;
    const [, traceId, spanId, flags] = header.split("-");
    return trace.setSpanContext(ctx, {
      traceId: traceId!,
      spanId: spanId!,
      traceFlags: Number(flags),
      isRemote: true,
    });
  },
  fields: () => ["traceparent"],
};

beforeAll(() => {
  propagation.setGlobalPropagator(w3c);
});
afterAll(() => {
  propagation.disable();
});

describe("traceHeaders", () => {
  it("carries the given context's span as traceparent", () => {
    const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 });
    expect(traceHeaders(ctx)).toEqual({ traceparent: TRACEPARENT });
  });

  it("is empty when nothing is being traced", () => {
    expect(traceHeaders()).toEqual({});
  });
});

describe("contextFromHeaders", () => {
  it("continues the trace a message's headers carry", () => {
    const headers = new Map([["traceparent", TRACEPARENT]]);
    const sc = trace.getSpanContext(contextFromHeaders((key) => headers.get(key)));
    expect(sc).toEqual<SpanContext>({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1, isRemote: true });
  });

  it("offers the W3C header names as the carrier's keys", () => {
    contextFromHeaders(() => undefined);
    expect(keysSeen).toEqual(["traceparent", "tracestate"]);
  });

  it("has no span when the message carries no headers", () => {
    expect(trace.getSpanContext(contextFromHeaders(() => undefined))).toBeUndefined();
  });
});

describe("inSpan", () => {
  /** A span that records what was done to it, in order. */
  const recordingSpan = () => {
    const calls: unknown[][] = [];
    const span = {
      recordException: (e: unknown) => void calls.push(["recordException", e]),
      setStatus: (s: unknown) => void calls.push(["setStatus", s]),
      end: () => void calls.push(["end"]),
    } as unknown as Span;
    return { span, calls };
  };

  it("runs the body in the span, returns its result and ends the span", async () => {
    const { span, calls } = recordingSpan();
    let given: Span | undefined;
    const result = await inSpan(span, async (s) => {
      given = s;
      return 42;
    });
    expect(result).toBe(42);
    expect(given).toBe(span);
    expect(calls).toEqual([["end"]]);
  });

  it("records a failure on the span, marks it an error (status code 2), rethrows and ends it", async () => {
    const { span, calls } = recordingSpan();
    const boom = new Error("boom");
    await expect(inSpan(span, async () => Promise.reject(boom))).rejects.toBe(boom);
    expect(calls).toEqual([["recordException", boom], ["setStatus", { code: 2 }], ["end"]]);
    expect(SpanStatusCode.ERROR).toBe(2);
  });

  it("records something thrown that is no Error as its text", async () => {
    const { span, calls } = recordingSpan();
    await expect(
      inSpan(span, async () => {
        throw 42;
      }),
    ).rejects.toBe(42);
    expect(calls[0]).toEqual(["recordException", "42"]);
  });
});
