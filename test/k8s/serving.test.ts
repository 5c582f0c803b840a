import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ServingSignal } from "@gantry/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createKubernetesDriver,
  type KubernetesDriver,
  type KubernetesDriverOptions,
} from "../../packages/agent/src/drivers/kubernetes/index.ts";
import { type FakeApiServer, startFakeApiServer } from "./fake-apiserver.ts";
import type { Obj } from "./fake-store.ts";
import { aGpuNode, aPod } from "./fixtures.ts";
import { aCluster, aDeploymentManifest, aJobManifest, aPlacement, memoryLogger } from "./support/driver-fixtures.ts";
import { type ModelServer, startModelServer } from "./support/model-server.ts";

const NS = "gantry-chat";
const T0 = Date.parse("2024-05-01T11:00:00Z");

let api: FakeApiServer;
let clock = T0;
const servers: ModelServer[] = [];
const drivers: KubernetesDriver[] = [];
const closers: (() => Promise<void>)[] = [];

const driverFor = async (extra: Partial<KubernetesDriverOptions> = {}) => {
  const logger = memoryLogger();
  const driver = createKubernetesDriver({
    kubeConfig: api.kubeConfig(),
    cluster: aCluster(),
    logger,
    namespaces: { create: true },
    retryDelayMs: 50,
    now: () => clock,
    ...extra,
  });
  drivers.push(driver);
  await driver.start();
  return { driver, logger };
};

const service = (workload = "llm") =>
  aPlacement({
    workload,
    tenant: "chat",
    type: "service",
    replicas: 3,
    generation: 4,
    template: [aDeploymentManifest(workload)],
  });

/** A model server pod of `workload` as the kubelet reports it: IP, start time, Ready since `readyAt`. */
const aServingPod = (o: {
  name: string;
  workload?: string;
  port?: number;
  start?: string;
  readyAt?: string;
  annotations?: Record<string, string>;
}): Obj => {
  const p = aPod({
    name: o.name,
    namespace: NS,
    node: "a100-1",
    gpus: 1,
    labels: {
      "gantry.dev/workload": o.workload ?? "llm",
      "gantry.dev/tenant": "chat",
      "gantry.dev/managed-by": "gantry",
      app: "llm",
    },
  });
  const status = p.status as Record<string, unknown>;
  status.podIP = "127.0.0.1";
  status.startTime = o.start ?? "2024-05-01T10:00:00Z";
  status.conditions = [
    { type: "PodScheduled", status: "True", lastTransitionTime: "2024-05-01T10:00:00Z" },
    o.readyAt
      ? { type: "Ready", status: "True", lastTransitionTime: o.readyAt }
      : { type: "Ready", status: "False", lastTransitionTime: o.start ?? "2024-05-01T10:00:00Z" },
  ];
  p.metadata.annotations = {
    ...(o.port !== undefined ? { "prometheus.io/scrape": "true", "prometheus.io/port": String(o.port) } : {}),
    ...o.annotations,
  };
  return p;
};

const server = async (engine: "vllm" | "tgi") => {
  const s = await startModelServer(engine);
  servers.push(s);
  return s;
};

beforeEach(async () => {
  clock = T0;
  api = await startFakeApiServer({ bookmarkIntervalMs: 100 });
  api.store.put("v1/nodes", aGpuNode({ name: "a100-1" }));
});

afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close();
  for (const s of servers.splice(0)) await s.close();
  for (const c of closers.splice(0)) await c();
  await api.close();
});

describe("serving signals from vLLM pods, scraped through the API server's pod proxy", () => {
  it("reports load, p95 time to first token from the window's buckets, rates, readiness and model load", async () => {
    const a = await server("vllm");
    const b = await server("vllm");
    const { driver } = await driverFor();
    await driver.reconcile([service(), aPlacement({ workload: "batch", template: [aJobManifest("batch")] })]);
    api.store.put("v1/pods", aServingPod({ name: "llm-a", port: a.port, readyAt: "2024-05-01T10:02:30Z" }));
    api.store.put(
      "v1/pods",
      aServingPod({ name: "llm-b", port: b.port, start: "2024-05-01T10:04:00Z", readyAt: "2024-05-01T10:05:00Z" }),
    );
    api.store.put("v1/pods", aServingPod({ name: "llm-loading", port: 1, start: "2024-05-01T10:50:00Z" }));

    // Before the window: 1000 slow requests. They must not show in the window's p95 or rates.
    for (let i = 0; i < 1000; i++) (i % 2 ? a : b).finish(5.0, 200);
    expect(await driver.servingSignals()).toEqual([]); // the first call opens the window

    // In the window (10 s): 90 fast requests and 10 slow ones, 50 tokens each, over both pods.
    for (let i = 0; i < 90; i++) (i % 3 ? a : b).finish(0.05, 50);
    for (let i = 0; i < 10; i++) (i % 2 ? a : b).finish(0.9, 50);
    a.setLoad(3, 1);
    b.setLoad(2, 4);
    clock = T0 + 10_000;
    const signals = await driver.servingSignals();

    expect(signals).toHaveLength(1); // the Job is not a service
    const [s] = signals;
    expect(ServingSignal.parse(s)).toEqual(s);
    expect(s).toMatchObject({
      tenant: "chat",
      workload: "llm",
      generation: 4,
      replicas: 3,
      readyReplicas: 2,
      concurrency: 5,
      queueDepth: 5,
      requestsPerSecond: 10, // 100 requests / 10 s
      tokensPerSecond: 500, // 100 × 50 tokens / 10 s
      modelLoadSeconds: 60, // llm-b, the last to become ready: 10:04:00 → 10:05:00
      windowSeconds: 10,
      byRegion: {},
    });
    // 90 at ≤ 0.06 s, 10 in (0.75, 1.0]: rank 95 is halfway through those 10 → 875 ms.
    expect(s?.p95LatencyMs).toBeCloseTo(875, 6);

    const proxied = api.requests.filter((r) => r.path.includes("/proxy/")).map((r) => r.path);
    expect(new Set(proxied)).toEqual(
      new Set([
        `/api/v1/namespaces/${NS}/pods/llm-a:${a.port}/proxy/metrics`,
        `/api/v1/namespaces/${NS}/pods/llm-b:${b.port}/proxy/metrics`,
      ]),
    );
    expect(a.accepts[0]).toContain("text/plain;version=0.0.4");
  });

  it("counts a pod that started inside the window from zero, and goes on without one whose scrape fails", async () => {
    const a = await server("vllm");
    const late = await server("vllm");
    const { driver, logger } = await driverFor();
    await driver.reconcile([service()]);
    api.store.put("v1/pods", aServingPod({ name: "llm-a", port: a.port, readyAt: "2024-05-01T10:02:30Z" }));
    api.store.put("v1/pods", aServingPod({ name: "llm-gone", port: 1, readyAt: "2024-05-01T10:02:30Z" }));
    await driver.servingSignals();

    for (let i = 0; i < 20; i++) a.finish(0.05, 10);
    // Scaled up inside the window: started 11:00:05, ready 11:00:08, served 30 requests since.
    api.store.put(
      "v1/pods",
      aServingPod({
        name: "llm-late",
        port: late.port,
        start: "2024-05-01T11:00:05Z",
        readyAt: "2024-05-01T11:00:08Z",
      }),
    );
    for (let i = 0; i < 30; i++) late.finish(0.05, 10);
    clock = T0 + 20_000;
    const [s] = await driver.servingSignals();
    expect(s).toMatchObject({ replicas: 3, readyReplicas: 3, requestsPerSecond: 2.5, tokensPerSecond: 25 });
    expect(s?.modelLoadSeconds).toBe(3);
    expect(logger.lines.some((l) => l.includes("scrape failed") && l.includes("llm-gone"))).toBe(true);
  });

  it("reads TGI's series, straight from the pod IP on the configured port", async () => {
    const tgi = await server("tgi");
    const { driver } = await driverFor({ serving: { metrics: { via: "direct", port: tgi.port } } });
    await driver.reconcile([service("tgi")]);
    api.store.put("v1/pods", aServingPod({ name: "tgi-0", workload: "tgi", readyAt: "2024-05-01T10:03:00Z" }));
    await driver.servingSignals();
    // 20 requests of 0.2 s and 0 of anything slower: every observation in one TGI bucket.
    for (let i = 0; i < 20; i++) tgi.finish(0.2, 120);
    tgi.setLoad(6, 9);
    clock = T0 + 4_000;
    const [s] = await driver.servingSignals();
    expect(s).toMatchObject({
      workload: "tgi",
      concurrency: 6, // tgi_batch_current_size
      queueDepth: 9, // tgi_queue_size
      requestsPerSecond: 5, // tgi_request_success: 20 / 4 s
      tokensPerSecond: 600, // tgi_request_generated_tokens_sum: 2400 / 4 s
      windowSeconds: 4,
    });
    // 0.2 s lies in TGI's bucket (0.0001·1.5^18, 0.0001·1.5^19] = (0.148 s, 0.222 s]; p95 interpolates inside it.
    const lower = 0.0001 * 1.5 ** 18 * 1000;
    const upper = 0.0001 * 1.5 ** 19 * 1000;
    expect(s?.p95LatencyMs).toBeGreaterThan(lower);
    expect(s?.p95LatencyMs).toBeLessThanOrEqual(upper);
    expect(s?.p95LatencyMs).toBeCloseTo(lower + (upper - lower) * 0.95, 6);
    expect(api.requests.some((r) => r.path.includes("/proxy/"))).toBe(false);
  });
});

describe("serving signals from the cluster's Prometheus", () => {
  const startPrometheus = async (answer: (query: string) => { status: number; body: unknown }) => {
    const queries: string[] = [];
    const prom: Server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://prom");
      const query = url.searchParams.get("query") ?? "";
      queries.push(query);
      const a = url.pathname === "/api/v1/query" ? answer(query) : { status: 404, body: {} };
      res.writeHead(a.status, { "content-type": "application/json" }).end(JSON.stringify(a.body));
    });
    await new Promise<void>((resolve) => prom.listen(0, "127.0.0.1", resolve));
    closers.push(() => new Promise<void>((resolve) => prom.close(() => resolve())));
    return { url: `http://127.0.0.1:${(prom.address() as AddressInfo).port}`, queries };
  };
  const vector = (...values: number[]) => ({
    status: "success",
    data: {
      resultType: "vector",
      result: values.map((v, i) => ({ metric: { pod: `p${i}` }, value: [1714561200, String(v)] })),
    },
  });

  it("runs one query per figure for the service's pods, and a failed query reads 0", async () => {
    const prom = await startPrometheus((q) => {
      if (q.includes("num_requests_running")) return { status: 200, body: vector(3, 4) };
      if (q.includes("num_requests_waiting")) return { status: 200, body: vector(2) };
      if (q.includes("histogram_quantile")) return { status: 200, body: vector(412.5) };
      if (q.includes("generation_tokens")) return { status: 200, body: vector(850) };
      return { status: 400, body: { status: "error", errorType: "bad_data", error: "parse error" } };
    });
    const { driver, logger } = await driverFor({ serving: { prometheus: { url: prom.url, windowSeconds: 30 } } });
    await driver.reconcile([service()]);
    api.store.put("v1/pods", aServingPod({ name: "llm-a", readyAt: "2024-05-01T10:02:30Z" }));
    api.store.put("v1/pods", aServingPod({ name: "llm-b" }));

    const [s] = await driver.servingSignals(); // no baseline needed: Prometheus has the window
    expect(s).toMatchObject({
      workload: "llm",
      replicas: 2,
      readyReplicas: 1,
      concurrency: 7,
      queueDepth: 2,
      p95LatencyMs: 412.5,
      tokensPerSecond: 850,
      requestsPerSecond: 0,
      windowSeconds: 30,
    });
    expect(prom.queries).toHaveLength(5);
    expect(prom.queries).toContain(
      `sum(rate(vllm:generation_tokens_total{namespace="${NS}",pod=~"llm-a|llm-b"}[30s]))`,
    );
    expect(logger.lines.some((l) => l.includes("Prometheus query failed") && l.includes("parse error"))).toBe(true);
  });

  it("uses a configured query for a figure", async () => {
    const prom = await startPrometheus(() => ({ status: 200, body: vector(11) }));
    const { driver } = await driverFor({
      serving: {
        prometheus: {
          url: prom.url,
          queries: { concurrency: 'sum(tgi_batch_current_size{namespace="{namespace}",app="{workload}"})' },
        },
      },
    });
    await driver.reconcile([service()]);
    const [s] = await driver.servingSignals();
    expect(s?.concurrency).toBe(11);
    expect(prom.queries).toContain(`sum(tgi_batch_current_size{namespace="${NS}",app="llm"})`);
  });
});
