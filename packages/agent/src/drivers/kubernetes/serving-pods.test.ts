import { describe, expect, it } from "vitest";
import { expandQuery } from "./promql.ts";
import { KubeServingPod } from "./schemas.ts";
import { isReady, modelLoadSeconds, scrapeTarget } from "./serving-pods.ts";

const pod = (o: {
  annotations?: Record<string, string>;
  ports?: { containerPort: number; name?: string }[];
  start?: string;
  readyAt?: string;
  phase?: string;
  deleting?: boolean;
}) =>
  KubeServingPod.parse({
    metadata: {
      name: "llm-7d9f-abcde",
      namespace: "gantry-chat",
      annotations: o.annotations,
      ...(o.deleting ? { deletionTimestamp: "2024-05-01T11:00:00Z" } : {}),
    },
    spec: { containers: [{ name: "vllm", ports: o.ports }] },
    status: {
      phase: o.phase ?? "Running",
      startTime: o.start,
      conditions: o.readyAt ? [{ type: "Ready", status: "True", lastTransitionTime: o.readyAt }] : [],
    },
  });

describe("scrapeTarget", () => {
  it("takes the prometheus.io annotations first, then the configured port, then container ports", () => {
    const annotated = pod({
      annotations: { "prometheus.io/port": "9400", "prometheus.io/path": "stats", "prometheus.io/scheme": "https" },
      ports: [{ containerPort: 8000 }],
    });
    expect(scrapeTarget(annotated, { port: 8080, path: "/metrics" })).toEqual({
      scrape: true,
      port: 9400,
      path: "/stats",
      scheme: "https",
    });
    const plain = pod({
      ports: [
        { containerPort: 8000, name: "http" },
        { containerPort: 9090, name: "metrics" },
      ],
    });
    expect(scrapeTarget(plain, { port: 8080, path: "/metrics" })).toMatchObject({ port: 8080 });
    expect(scrapeTarget(plain, { path: "/metrics" })).toMatchObject({ port: 9090 });
    expect(scrapeTarget(pod({ ports: [{ containerPort: 8000 }] }), { path: "/metrics" })).toMatchObject({ port: 8000 });
  });

  it("says why a pod is not scraped", () => {
    expect(scrapeTarget(pod({ annotations: { "prometheus.io/scrape": "false" } }), { path: "/m" })).toMatchObject({
      scrape: false,
    });
    expect(scrapeTarget(pod({ annotations: { "prometheus.io/port": "http" } }), { path: "/m" })).toEqual({
      scrape: false,
      reason: 'prometheus.io/port "http" is not a port',
    });
    expect(scrapeTarget(pod({}), { path: "/m" })).toMatchObject({ scrape: false });
  });
});

describe("readiness and model load", () => {
  it("takes the load time of the pod that became ready last", () => {
    const pods = [
      pod({ start: "2024-05-01T10:00:00Z", readyAt: "2024-05-01T10:02:30Z" }),
      pod({ start: "2024-05-01T10:04:00Z", readyAt: "2024-05-01T10:05:00Z" }),
      pod({ start: "2024-05-01T10:06:00Z" }),
    ];
    expect(modelLoadSeconds(pods)).toBe(60);
    expect(pods.map(isReady)).toEqual([true, true, false]);
    expect(modelLoadSeconds([pods[2] ?? pod({})])).toBeUndefined();
  });

  it("does not count a pod being deleted or finished as ready", () => {
    expect(isReady(pod({ readyAt: "2024-05-01T10:00:00Z", deleting: true }))).toBe(false);
    expect(isReady(pod({ readyAt: "2024-05-01T10:00:00Z", phase: "Succeeded" }))).toBe(false);
  });
});

describe("expandQuery", () => {
  it("fills namespace, an exact pod regex and the window", () => {
    const q = expandQuery('sum(rate(x{namespace="{namespace}",pod=~"{pods}"}[{window}])) # {workload} {tenant}', {
      namespace: "gantry-chat",
      pods: ["llm-a", "llm.b"],
      workload: "llm",
      tenant: "chat",
      windowSeconds: 60,
    });
    expect(q).toBe('sum(rate(x{namespace="gantry-chat",pod=~"llm-a|llm\\\\.b"}[60s])) # llm chat');
    expect(expandQuery("{pods}", { namespace: "", pods: [], workload: "", tenant: "", windowSeconds: 1 })).toBe("$^");
  });
});
