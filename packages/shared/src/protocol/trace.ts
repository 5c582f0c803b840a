import { type Context, context, propagation, type Span, SpanStatusCode } from "@opentelemetry/api";

/**
 * Trace context across NATS: the hub puts the W3C `traceparent` (and `tracestate`) of the span that publishes a
 * message into the message's headers, and the agent continues the trace from them. Without a tracer provider
 * registered (no OpenTelemetry SDK started) both are no-ops.
 */

/** The active context's propagation headers (empty when nothing is being traced). */
export const traceHeaders = (ctx: Context = context.active()): Record<string, string> => {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
};

/** The context a message's headers carry, on top of the active one. */
export const contextFromHeaders = (get: (key: string) => string | undefined): Context =>
  propagation.extract(context.active(), undefined, {
    get: (_carrier, key) => get(key),
    keys: () => ["traceparent", "tracestate"],
  });

/** Runs `body` in `span`, records a failure on it (and rethrows), and always ends the span. */
export const inSpan = async <T>(span: Span, body: (span: Span) => Promise<T>): Promise<T> => {
  try {
    return await body(span);
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
};
