import { afterEach, describe, expect, it } from "vitest";
import {
  createKubernetesDriver,
  type KubernetesDriver,
  type KubernetesDriverOptions,
} from "../../packages/agent/src/drivers/kubernetes/index.ts";
import { type FakeApiServer, startFakeApiServer } from "./fake-apiserver.ts";
import {
  GATEWAY_RESOURCES,
  INFERENCE_POOL_V1,
  INFERENCE_POOL_V1ALPHA2,
  type Obj,
  type Resource,
} from "./fake-store.ts";
import { aGpuNode } from "./fixtures.ts";
import { aCluster, aDeploymentManifest, aJobManifest, aPlacement, memoryLogger } from "./support/driver-fixtures.ts";

const NS = "gantry-chat";
const ROUTES = "gateway.networking.k8s.io/v1/httproutes";
const SERVICES = "v1/services";
const GATEWAY = { name: "inference-gateway", namespace: "gateway-system", sectionName: "https" };
const OWNED = { "gantry.dev/workload": "llm", "gantry.dev/tenant": "chat", "gantry.dev/managed-by": "gantry" };

let api: FakeApiServer | undefined;
const drivers: KubernetesDriver[] = [];

const cluster = async (extraResources: Resource[]) => {
  api = await startFakeApiServer({ bookmarkIntervalMs: 100, extraResources });
  api.store.put("v1/nodes", aGpuNode({ name: "a100-1" }));
  return api;
};

const driverFor = async (a: FakeApiServer, extra: Partial<KubernetesDriverOptions> = {}) => {
  const driver = createKubernetesDriver({
    kubeConfig: a.kubeConfig(),
    cluster: aCluster(),
    logger: memoryLogger(),
    namespaces: { create: true },
    retryDelayMs: 50,
    routing: {
      gateway: GATEWAY,
      inferencePool: { endpointPicker: { name: "{workload}-epp", port: 9002, failureMode: "FailClose" } },
    },
    ...extra,
  });
  drivers.push(driver);
  await driver.start();
  return driver;
};

const service = (template = [aDeploymentManifest("llm")]) =>
  aPlacement({ workload: "llm", tenant: "chat", type: "service", replicas: 2, template });

const get = (a: FakeApiServer, resource: string, name = "llm") =>
  a.store.get(resource, NS, name) as (Obj & { spec: unknown }) | undefined;

afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close();
  await api?.close();
  api = undefined;
});

describe("routing objects", () => {
  it("makes none where the cluster has neither API, and the service still runs", async () => {
    const a = await cluster([]);
    const d = await driverFor(a);
    await d.reconcile([service()]);
    expect(get(a, "apps/v1/deployments")).toBeDefined();
    expect(get(a, SERVICES)).toBeUndefined();
    // It asked discovery, and took the 404s as "not installed".
    const asked = a.requests.filter((r) => r.method === "GET").map((r) => r.path);
    expect(asked).toContain("/apis/gateway.networking.k8s.io/v1");
    expect(asked).toContain("/apis/inference.networking.k8s.io/v1");
    const [status] = await d.statuses();
    expect(status?.phase).not.toBe("Failed");
    expect(a.requests.some((r) => r.method === "PATCH" && r.path.includes("httproutes"))).toBe(false);
  });

  it("routes a service through the Gateway to a Service of its pods, owned and pruned like its Deployment", async () => {
    const a = await cluster(GATEWAY_RESOURCES);
    const d = await driverFor(a);
    await d.reconcile([
      service(),
      aPlacement({ workload: "train", tenant: "chat", template: [aJobManifest("train")] }),
    ]);

    const svc = get(a, SERVICES);
    expect(svc?.metadata.labels).toMatchObject(OWNED);
    expect(svc?.spec).toEqual({
      selector: { "gantry.dev/workload": "llm", "gantry.dev/managed-by": "gantry" },
      ports: [{ name: "http", port: 8000, targetPort: 8000, protocol: "TCP" }],
    });
    // The pods the Deployment makes carry exactly the labels the Service selects.
    const deployment = get(a, "apps/v1/deployments")?.spec as
      | { template: { metadata: { labels: Record<string, string> } } }
      | undefined;
    const podLabels = deployment?.template.metadata.labels;
    expect(podLabels).toMatchObject({ "gantry.dev/workload": "llm", "gantry.dev/managed-by": "gantry" });

    const route = get(a, ROUTES);
    expect(route?.metadata.labels).toMatchObject(OWNED);
    expect(route?.metadata.annotations?.["gantry.dev/generation"]).toBe("1");
    expect(route?.spec).toEqual({
      parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", ...GATEWAY }],
      rules: [
        {
          matches: [{ path: { type: "PathPrefix", value: "/chat/llm" } }],
          filters: [
            { type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } },
          ],
          backendRefs: [{ kind: "Service", name: "llm", port: 8000 }],
        },
      ],
    });
    expect(a.store.list(ROUTES)).toHaveLength(1); // the Job gets no route

    await d.reconcile([]);
    expect(get(a, ROUTES)).toBeUndefined();
    expect(get(a, SERVICES)).toBeUndefined();
    expect(get(a, "apps/v1/deployments")).toBeUndefined();
  });

  it("routes to the template's own Service, by host name when one is configured", async () => {
    const a = await cluster(GATEWAY_RESOURCES);
    const d = await driverFor(a, {
      routing: { gateway: { name: "gw" }, hostname: "{workload}.{tenant}.llm.example.com" },
    });
    const own = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "llm-api" },
      spec: { selector: { app: "llm" }, ports: [{ port: 80, targetPort: 8000 }] },
    };
    await d.reconcile([service([aDeploymentManifest("llm"), own])]);
    expect(get(a, SERVICES)).toBeUndefined(); // no generated one
    expect(get(a, SERVICES, "llm-api")).toBeDefined();
    expect(get(a, ROUTES)?.spec).toEqual({
      parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "gw" }],
      hostnames: ["llm.chat.llm.example.com"],
      rules: [
        {
          matches: [{ path: { type: "PathPrefix", value: "/" } }],
          backendRefs: [{ kind: "Service", name: "llm-api", port: 80 }],
        },
      ],
    });
  });

  it("with the Inference Extension, pools the service's pods behind its endpoint picker and routes to the pool", async () => {
    const a = await cluster([...GATEWAY_RESOURCES, INFERENCE_POOL_V1]);
    const d = await driverFor(a);
    await d.reconcile([service()]);
    const pool = get(a, "inference.networking.k8s.io/v1/inferencepools");
    expect(pool?.metadata.labels).toMatchObject(OWNED);
    expect(pool?.spec).toEqual({
      selector: { matchLabels: { "gantry.dev/workload": "llm", "gantry.dev/managed-by": "gantry" } },
      targetPorts: [{ number: 8000 }],
      endpointPickerRef: { kind: "Service", name: "llm-epp", port: { number: 9002 }, failureMode: "FailClose" },
    });
    const route = get(a, ROUTES)?.spec as { rules: { backendRefs: unknown[] }[] } | undefined;
    expect(route?.rules[0]?.backendRefs).toEqual([
      { group: "inference.networking.k8s.io", kind: "InferencePool", name: "llm" },
    ]);
    expect(get(a, SERVICES)).toBeUndefined(); // the pool selects the pods itself
  });

  it("writes the pre-GA InferencePool shape where only v1alpha2 is served, and no route without a Gateway API", async () => {
    const a = await cluster([INFERENCE_POOL_V1ALPHA2]);
    const d = await driverFor(a);
    await d.reconcile([service()]);
    expect(get(a, "inference.networking.x-k8s.io/v1alpha2/inferencepools")?.spec).toEqual({
      selector: { "gantry.dev/workload": "llm", "gantry.dev/managed-by": "gantry" },
      targetPortNumber: 8000,
      extensionRef: { kind: "Service", name: "llm-epp", portNumber: 9002, failureMode: "FailClose" },
    });
    expect(a.requests.some((r) => r.path.includes("httproutes"))).toBe(false);
  });

  it("makes no route without a configured Gateway, and says when it cannot find the service's port", async () => {
    const a = await cluster(GATEWAY_RESOURCES);
    const none = await driverFor(a, { routing: {} });
    await none.reconcile([service()]);
    expect(a.store.list(ROUTES)).toHaveLength(0);
    await none.close();
    drivers.splice(drivers.indexOf(none), 1);

    const d = await driverFor(a, { routing: { gateway: GATEWAY } });
    const portless = aDeploymentManifest("llm", {
      template: { spec: { containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.8.5" }] } },
    });
    await d.reconcile([service([portless])]);
    expect(a.store.list(ROUTES)).toHaveLength(0);
    const [status] = await d.statuses();
    expect(status?.events).toContain(
      "routing: no HTTPRoute: the template has no Service and names no container port, and none is configured",
    );
  });

  it("prunes routing objects a previous agent process made", async () => {
    const a = await cluster([...GATEWAY_RESOURCES, INFERENCE_POOL_V1]);
    const first = await driverFor(a, {
      routing: {
        gateway: GATEWAY,
        inferencePool: { endpointPicker: { name: "epp", port: 9002, failureMode: "FailOpen" } },
      },
    });
    await first.reconcile([service()]);
    expect(get(a, ROUTES)).toBeDefined();
    await first.close();
    drivers.splice(drivers.indexOf(first), 1);

    // A new process that has applied nothing yet still finds them by their ownership label.
    const second = await driverFor(a);
    await second.reconcile([]);
    expect(get(a, ROUTES)).toBeUndefined();
    expect(get(a, "inference.networking.k8s.io/v1/inferencepools")).toBeUndefined();
    expect(get(a, "apps/v1/deployments")).toBeUndefined();
  });
});
