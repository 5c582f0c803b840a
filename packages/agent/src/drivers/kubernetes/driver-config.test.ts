import { describe, expect, it } from "vitest";
import { KubernetesDriverConfig, optionsFromConfig } from "./driver-config.ts";

describe("KubernetesDriverConfig", () => {
  it("takes a full config and fills the endpoint picker's defaults", () => {
    const c = KubernetesDriverConfig.parse({
      serving: {
        metrics: { port: 8000, via: "direct" },
        prometheus: { url: "http://prometheus-operated.monitoring:9090", queries: { concurrency: "sum(x)" } },
      },
      routing: {
        gateway: { name: "inference-gateway", namespace: "gateway-system" },
        hostname: "{workload}.{tenant}.llm.example.com",
        inferencePool: { endpointPicker: { name: "{workload}-epp" } },
      },
    });
    expect(optionsFromConfig(c).routing?.inferencePool).toEqual({
      endpointPicker: { name: "{workload}-epp", port: 9002, failureMode: "FailClose" },
    });
    expect(optionsFromConfig({})).toEqual({});
  });

  it("names the path of an unknown key or a bad value", () => {
    const paths = (v: unknown) => {
      const r = KubernetesDriverConfig.safeParse(v);
      return r.success ? [] : r.error.issues.map((i) => i.path.join("."));
    };
    expect(paths({ serving: { metrics: { prot: 8000 } } })).toEqual(["serving.metrics"]);
    expect(paths({ serving: { metrics: { port: 70_000 } } })).toEqual(["serving.metrics.port"]);
    expect(paths({ serving: { prometheus: { url: "prometheus:9090" } } })).toEqual(["serving.prometheus.url"]);
    expect(paths({ serving: { prometheus: { url: "http://p:9090", queries: { latency: "x" } } } })).toEqual([
      "serving.prometheus.queries",
    ]);
    expect(paths({ routing: { gateway: { name: "Not_A_Name" } } })).toEqual(["routing.gateway.name"]);
    expect(paths({ routing: { pathPrefix: "api" } })).toEqual(["routing.pathPrefix"]);
  });
});
