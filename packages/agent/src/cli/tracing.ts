/**
 * OpenTelemetry tracing for the long-running commands (`gantry hub`, `gantry up`, `gantry agent`): started only
 * when an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, the
 * standard variables; `OTEL_SERVICE_NAME` overrides the service name). Without one, nothing is loaded and the
 * spans the hub and agent open are no-ops. The SDK is imported lazily so the agent image carries it unused.
 */
export const startTracing = async (
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<() => Promise<void>> => {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return async () => undefined;
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] =
    await Promise.all([
      import("@opentelemetry/sdk-trace-node"),
      import("@opentelemetry/exporter-trace-otlp-http"),
      import("@opentelemetry/resources"),
    ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": env.OTEL_SERVICE_NAME ?? serviceName }),
    // The exporter reads the endpoint, headers and timeout from the same environment.
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // Registers the W3C trace-context propagator and async context, which the NATS headers rely on.
  provider.register();
  return () => provider.shutdown();
};
