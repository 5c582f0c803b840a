import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  createKubernetesDriver,
  type KubernetesDriver,
  type KubernetesDriverOptions,
} from "../../packages/agent/src/drivers/kubernetes/index.ts";
import { type FakeApiServer, startFakeApiServer } from "./fake-apiserver.ts";
import { JOBSET_RESOURCE, type Obj } from "./fake-store.ts";
import { aGpuNode, aNamespace, anEvent, aPod } from "./fixtures.ts";
import { aCluster, aJobManifest, aPlacement, memoryLogger } from "./support/driver-fixtures.ts";

const JOBS = "batch/v1/jobs";

let api: FakeApiServer;
const drivers: KubernetesDriver[] = [];

const driverFor = async (extra: Partial<KubernetesDriverOptions> = {}): Promise<KubernetesDriver> => {
  const driver = createKubernetesDriver({
    kubeConfig: api.kubeConfig(),
    cluster: aCluster(),
    logger: memoryLogger(),
    namespaces: { create: true },
    retryDelayMs: 50,
    ...extra,
  });
  drivers.push(driver);
  await driver.start();
  return driver;
};

/** Both watches are open once each has had a bookmark. */
const watching = (d: KubernetesDriver) =>
  vi.waitFor(() => {
    expect(d.stats.nodes.bookmarks).toBeGreaterThan(0);
    expect(d.stats.pods.bookmarks).toBeGreaterThan(0);
  });

const nodeReport = (d: KubernetesDriver, name: string) => d.capacity().nodes.find((n) => n.name === name);

beforeEach(async () => {
  api = await startFakeApiServer({ bookmarkIntervalMs: 100, extraResources: [] });
});

afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close();
  await api.close();
});

describe("inventory", () => {
  beforeEach(() => {
    api.store.put("v1/nodes", aGpuNode({ name: "a100-1", gpus: 8 }));
    api.store.put(
      "v1/nodes",
      aGpuNode({ name: "l4-1", product: "NVIDIA-L4", gpus: 2, memoryMiB: 23034, ready: false }),
    );
    api.store.put("v1/nodes", aGpuNode({ name: "a100-cordoned", unschedulable: true }));
    api.store.put(
      "v1/nodes",
      aGpuNode({ name: "a100-tainted", taints: [{ key: "maintenance", effect: "NoSchedule" }] }),
    );
    api.store.put(
      "v1/nodes",
      aGpuNode({ name: "a100-gputaint", taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }] }),
    );
    api.store.put("v1/nodes", aGpuNode({ name: "mig-1", mig: { "1g.10gb": 7 } }));
    api.store.put("v1/nodes", aGpuNode({ name: "cpu-1", gpus: 0, cpu: "16", memory: "64Gi" }));
    api.store.put("v1/pods", aPod({ name: "train-a", node: "a100-1", gpus: 4, cpu: "8", memory: "64Gi" }));
    api.store.put("v1/pods", aPod({ name: "train-b", node: "a100-1", gpus: 2, cpu: "3500m", memory: "32Gi" }));
    api.store.put("v1/pods", aPod({ name: "done", node: "a100-1", gpus: 2, phase: "Succeeded" }));
    api.store.put("v1/pods", aPod({ name: "waiting", gpus: 8, phase: "Pending" }));
    api.store.put("v1/pods", aPod({ name: "mig-pod", node: "mig-1", gpus: 0, namespace: "other" }));
  });

  it("reports GPU nodes from feature discovery labels and usage from running pods", async () => {
    const d = await driverFor();
    expect(nodeReport(d, "a100-1")).toEqual({
      name: "a100-1",
      count: 1,
      gpu: { model: "A100", count: 8, memoryGiB: 80 },
      gpusUsed: 6,
      cpu: 96,
      cpuUsed: 11.5,
      memoryGiB: 1007.7,
      memoryUsedGiB: 96,
      ready: true,
      schedulable: true,
      labels: {
        "topology.kubernetes.io/region": "europe-west4",
        "topology.kubernetes.io/zone": "europe-west4-a",
        "node.kubernetes.io/instance-type": "a2-ultragpu-8g",
        "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB",
      },
    });
    expect(nodeReport(d, "l4-1")).toMatchObject({ gpu: { model: "L4", count: 2, memoryGiB: 22.49 }, ready: false });
    expect(nodeReport(d, "a100-cordoned")?.schedulable).toBe(false);
    expect(nodeReport(d, "a100-tainted")?.schedulable).toBe(false);
    expect(nodeReport(d, "a100-gputaint")?.schedulable).toBe(true);
    expect(nodeReport(d, "mig-1")?.gpu).toEqual({ model: "A100 MIG 1g.10gb", count: 7, memoryGiB: 10 });
    expect(nodeReport(d, "cpu-1")).toMatchObject({ cpu: 16, memoryGiB: 64, gpusUsed: 0 });
    expect(nodeReport(d, "cpu-1")?.gpu).toBeUndefined();
    expect(d.capacity().nodes).toHaveLength(7);
  });

  it("stays current through a watch with bookmarks instead of polling", async () => {
    const d = await driverFor();
    api.store.put("v1/pods", aPod({ name: "train-c", node: "a100-1", gpus: 2 }));
    await vi.waitFor(() => expect(nodeReport(d, "a100-1")?.gpusUsed).toBe(8));
    api.store.put("v1/pods", aPod({ name: "train-a", node: "a100-1", gpus: 4, phase: "Succeeded" }));
    await vi.waitFor(() => expect(nodeReport(d, "a100-1")?.gpusUsed).toBe(4));
    api.store.delete("v1/pods", "ml", "train-b");
    api.store.put("v1/nodes", aGpuNode({ name: "h100-1", product: "NVIDIA-H100-80GB-HBM3", gpus: 8 }));
    await vi.waitFor(() => {
      expect(nodeReport(d, "a100-1")?.gpusUsed).toBe(2);
      expect(nodeReport(d, "h100-1")?.gpu?.model).toBe("H100");
    });
    await vi.waitFor(() => expect(d.stats.pods.bookmarks).toBeGreaterThan(0));

    const lists = api.requests.filter((r) => r.path === "/api/v1/pods" && r.query.get("watch") !== "1");
    const watches = api.requests.filter((r) => r.path === "/api/v1/pods" && r.query.get("watch") === "1");
    expect(lists).toHaveLength(1);
    expect(lists[0]?.query.get("limit")).toBe("500");
    expect(watches[0]?.query.get("allowWatchBookmarks")).toBe("true");
    expect(watches[0]?.query.get("resourceVersion")).toMatch(/^\d+$/);
  });

  it("resumes a dropped watch from its resourceVersion without relisting", async () => {
    const d = await driverFor();
    await watching(d);
    api.dropWatches();
    api.store.put("v1/pods", aPod({ name: "after-drop", node: "a100-1", gpus: 1 }));
    await vi.waitFor(() => expect(nodeReport(d, "a100-1")?.gpusUsed).toBe(7));
    expect(d.stats.pods.lists).toBe(1);
    expect(d.stats.pods.watches).toBeGreaterThanOrEqual(2);
  });

  it("relists after 410 Gone and forgets objects deleted while it was not watching", async () => {
    const d = await driverFor();
    await watching(d);
    // Drop the watches, change things, and compact in one synchronous step: the driver comes back
    // with a resourceVersion the server no longer keeps, as after a long partition.
    api.dropWatches();
    api.store.delete("v1/nodes", undefined, "l4-1");
    api.store.delete("v1/pods", "ml", "train-a");
    api.store.compact();
    await vi.waitFor(() => {
      expect(nodeReport(d, "l4-1")).toBeUndefined();
      expect(nodeReport(d, "a100-1")?.gpusUsed).toBe(2);
    });
    expect(d.stats.nodes.gone).toBeGreaterThanOrEqual(1);
    expect(d.stats.pods.gone).toBeGreaterThanOrEqual(1);
    expect(d.stats.pods.lists).toBe(2);
    // And it watches again afterwards.
    api.store.put("v1/pods", aPod({ name: "later", node: "a100-1", gpus: 3 }));
    await vi.waitFor(() => expect(nodeReport(d, "a100-1")?.gpusUsed).toBe(5));
  });
});

describe("apply", () => {
  beforeEach(() => {
    api.store.put("v1/nodes", aGpuNode({ name: "a100-1" }));
    api.store.put("v1/nodes", aGpuNode({ name: "a100-2", product: "NVIDIA-A100-SXM4-40GB", memoryMiB: 40960 }));
  });

  const job = (ns: string, name: string) => api.store.get(JOBS, ns, name);

  it("applies an owned Job with Gantry's labels, GPU steering and this cluster's share of replicas", async () => {
    const d = await driverFor();
    const p = aPlacement({
      workload: "resnet",
      replicas: 2,
      gpuModel: "A100",
      template: [aJobManifest("resnet")],
      tolerations: [
        { key: "gantry.dev/cloud-only", operator: "Exists" },
        { key: "spot", value: "true", effect: "NoSchedule" },
      ],
    });
    await d.reconcile([p]);

    expect(api.store.get("v1/namespaces", undefined, "gantry-vision")).toBeDefined();
    const created = job("gantry-vision", "resnet") as Obj & { spec: Record<string, unknown> };
    expect(created.metadata.labels).toMatchObject({
      "gantry.dev/workload": "resnet",
      "gantry.dev/tenant": "vision",
      "gantry.dev/managed-by": "gantry",
    });
    expect(created.metadata.annotations).toMatchObject({
      "gantry.dev/generation": "1",
      "gantry.dev/decision": "dec-resnet-1",
    });
    expect(created.spec).toMatchObject({ parallelism: 2, completions: 2 });
    const podSpec = created.spec.template as {
      spec: Record<string, unknown>;
      metadata: { labels: Record<string, string> };
    };
    expect(podSpec.metadata.labels["gantry.dev/workload"]).toBe("resnet");
    expect(podSpec.spec.affinity).toEqual({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                {
                  key: "nvidia.com/gpu.product",
                  operator: "In",
                  values: ["NVIDIA-A100-SXM4-40GB", "NVIDIA-A100-SXM4-80GB"],
                },
              ],
            },
          ],
        },
      },
    });
    expect(podSpec.spec.tolerations).toEqual([
      { key: "gantry.dev/cloud-only", operator: "Exists" },
      { key: "spot", operator: "Equal", value: "true", effect: "NoSchedule" },
    ]);

    const patch = api.requests.find((r) => r.method === "PATCH");
    expect(patch?.path).toBe("/apis/batch/v1/namespaces/gantry-vision/jobs/resnet");
    expect(patch?.contentType).toBe("application/apply-patch+yaml");
    expect(patch?.query.get("fieldManager")).toBe("gantry-agent");
    expect(patch?.query.get("force")).toBe("true");
  });

  it("updates the Job on a new generation and deletes it when no longer desired", async () => {
    const d = await driverFor();
    await d.reconcile([aPlacement({ workload: "resnet", template: [aJobManifest("resnet")] })]);
    await d.reconcile([
      aPlacement({ workload: "resnet", generation: 2, replicas: 3, template: [aJobManifest("resnet")] }),
    ]);
    const updated = job("gantry-vision", "resnet") as Obj & { spec: Record<string, unknown> };
    expect(updated.spec.parallelism).toBe(3);
    expect(updated.metadata.annotations?.["gantry.dev/generation"]).toBe("2");

    const rv = updated.metadata.resourceVersion;
    await d.reconcile([
      aPlacement({ workload: "resnet", generation: 2, replicas: 3, template: [aJobManifest("resnet")] }),
    ]);
    expect(job("gantry-vision", "resnet")?.metadata.resourceVersion).toBe(rv); // a resync that changes nothing writes nothing

    await d.reconcile([]);
    expect(job("gantry-vision", "resnet")).toBeUndefined();
    // Two deletes: the recreate (completions are immutable on a Job, and replicas 2 → 3 changed them), then the prune.
    const deletes = api.requests.filter((r) => r.method === "DELETE");
    expect(
      deletes.map((r) => JSON.parse(r.body || "{}").propagationPolicy ?? r.query.get("propagationPolicy")),
    ).toEqual(["Foreground", "Background"]);
    const statuses = await d.statuses();
    expect(statuses).toEqual([expect.objectContaining({ workload: "resnet", phase: "Deleted", generation: 2 })]);
  });

  it("refuses to modify an existing object Gantry does not own, and never deletes one", async () => {
    api.store.put("v1/namespaces", aNamespace("gantry-vision"));
    const theirs = api.store.put(JOBS, {
      metadata: { name: "resnet", namespace: "gantry-vision", labels: { team: "vision" } },
      spec: { template: { spec: { containers: [{ name: "x", image: "busybox" }], restartPolicy: "Never" } } },
    });
    const rv = theirs.metadata.resourceVersion;
    const d = await driverFor();
    await d.reconcile([aPlacement({ workload: "resnet", template: [aJobManifest("resnet")] })]);

    expect(job("gantry-vision", "resnet")?.metadata.resourceVersion).toBe(rv);
    expect(api.requests.some((r) => r.method === "PATCH")).toBe(false);
    const [status] = await d.statuses();
    expect(status).toMatchObject({ workload: "resnet", phase: "Failed" });
    expect(status?.message).toContain("refusing to modify batch/v1 Job gantry-vision/resnet");
    expect(status?.message).toContain("not managed by Gantry");

    await d.reconcile([]);
    expect(job("gantry-vision", "resnet")?.metadata.resourceVersion).toBe(rv);
    expect(api.requests.some((r) => r.method === "DELETE")).toBe(false);
  });

  it("refuses an object another Gantry workload owns", async () => {
    const d = await driverFor();
    await d.reconcile([aPlacement({ workload: "first", template: [aJobManifest("shared-name")] })]);
    await d.reconcile([
      aPlacement({ workload: "first", template: [aJobManifest("shared-name")] }),
      aPlacement({ workload: "second", template: [aJobManifest("shared-name")] }),
    ]);
    const statuses = await d.statuses();
    expect(statuses.find((s) => s.workload === "second")).toMatchObject({ phase: "Failed" });
    expect(statuses.find((s) => s.workload === "second")?.message).toContain("belongs to Gantry workload first");
    expect(job("gantry-vision", "shared-name")?.metadata.labels?.["gantry.dev/workload"]).toBe("first");
  });

  it("reports Failed when the tenant namespace is missing and creation is off", async () => {
    const d = await driverFor({ namespaces: { create: false } });
    await d.reconcile([aPlacement({ workload: "resnet", template: [aJobManifest("resnet")] })]);
    const [status] = await d.statuses();
    expect(status).toMatchObject({ phase: "Failed" });
    expect(status?.message).toContain("namespace gantry-vision does not exist");
  });

  it("reports Failed for a CRD kind the cluster does not serve", async () => {
    const d = await driverFor();
    const jobset = {
      apiVersion: "jobset.x-k8s.io/v1alpha2",
      kind: "JobSet",
      metadata: { name: "llm" },
      spec: { replicatedJobs: [] },
    };
    await d.reconcile([aPlacement({ workload: "llm", template: [jobset] })]);
    const [status] = await d.statuses();
    expect(status?.message).toContain("JobSet (jobset.x-k8s.io/v1alpha2) is not served by this cluster");
  });
});

describe("apply with the JobSet CRD installed", () => {
  beforeEach(async () => {
    await api.close();
    api = await startFakeApiServer({ extraResources: [JOBSET_RESOURCE] });
  });

  it("steers every replicated job's pod template and sets the replica count", async () => {
    const d = await driverFor();
    const jobset = {
      apiVersion: "jobset.x-k8s.io/v1alpha2",
      kind: "JobSet",
      metadata: { name: "llm" },
      spec: {
        replicatedJobs: [
          {
            name: "workers",
            replicas: 8,
            template: { spec: { template: { spec: { containers: [{ name: "w", image: "x" }] } } } },
          },
        ],
      },
    };
    await d.reconcile([aPlacement({ workload: "llm", replicas: 3, gpuModel: "H100", template: [jobset] })]);
    const applied = api.store.get("jobset.x-k8s.io/v1alpha2/jobsets", "gantry-vision", "llm") as Obj & {
      spec: {
        replicatedJobs: { replicas: number; template: { spec: { template: { spec: { affinity: unknown } } } } }[];
      };
    };
    expect(applied.spec.replicatedJobs[0]?.replicas).toBe(3);
    expect(JSON.stringify(applied.spec.replicatedJobs[0]?.template.spec.template.spec.affinity)).toContain("H100");
  });
});

describe("status", () => {
  it("reports Running, Succeeded and Failed from Job conditions, with the events that explain a failure", async () => {
    const d = await driverFor();
    await d.reconcile([
      aPlacement({ workload: "ok", template: [aJobManifest("ok")] }),
      aPlacement({ workload: "bad", template: [aJobManifest("bad")] }),
      aPlacement({ workload: "busy", template: [aJobManifest("busy")] }),
    ]);
    const setStatus = (name: string, status: Record<string, unknown>) => {
      const o = api.store.get(JOBS, "gantry-vision", name);
      if (o) api.store.put(JOBS, { ...o, status });
    };
    setStatus("ok", {
      succeeded: 2,
      startTime: "2024-05-01T10:00:00Z",
      completionTime: "2024-05-01T11:00:00Z",
      conditions: [{ type: "Complete", status: "True" }],
    });
    setStatus("bad", {
      failed: 3,
      conditions: [
        {
          type: "Failed",
          status: "True",
          reason: "BackoffLimitExceeded",
          message: "Job has reached the specified backoff limit",
        },
      ],
    });
    setStatus("busy", { active: 2, ready: 2 });
    api.store.put(
      "v1/events",
      anEvent({
        name: "bad.1",
        namespace: "gantry-vision",
        kind: "Job",
        object: "bad",
        reason: "BackoffLimitExceeded",
        message: "Job has reached the specified backoff limit",
      }),
    );
    api.store.put(
      "v1/events",
      anEvent({
        name: "other.1",
        namespace: "gantry-vision",
        kind: "Job",
        object: "ok",
        reason: "Completed",
        message: "Job completed",
        type: "Normal",
      }),
    );

    const statuses = await d.statuses();
    const by = (w: string) => statuses.find((s) => s.workload === w);
    expect(by("ok")).toMatchObject({
      phase: "Succeeded",
      startedAt: "2024-05-01T10:00:00Z",
      finishedAt: "2024-05-01T11:00:00Z",
    });
    expect(by("busy")).toMatchObject({ phase: "Running", readyReplicas: 2, replicas: 2 });
    expect(by("bad")).toMatchObject({
      phase: "Failed",
      message: "Job bad failed (BackoffLimitExceeded): Job has reached the specified backoff limit",
    });
    expect(by("bad")?.events).toEqual(["Job bad: BackoffLimitExceeded: Job has reached the specified backoff limit"]);
  });

  it("reports unschedulable pods as Pending with the scheduler's reason", async () => {
    const d = await driverFor();
    await d.reconcile([aPlacement({ workload: "big", template: [aJobManifest("big")] })]);
    const why = "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.";
    api.store.put(
      "v1/pods",
      aPod({
        name: "big-x7k2p",
        namespace: "gantry-vision",
        gpus: 4,
        unschedulable: why,
        labels: { "gantry.dev/workload": "big", "gantry.dev/tenant": "vision", "gantry.dev/managed-by": "gantry" },
      }),
    );
    api.store.put(
      "v1/events",
      anEvent({
        name: "big-x7k2p.1",
        namespace: "gantry-vision",
        kind: "Pod",
        object: "big-x7k2p",
        reason: "FailedScheduling",
        message: why,
      }),
    );
    const [status] = await d.statuses();
    expect(status).toMatchObject({ workload: "big", phase: "Pending", message: `1 pod(s) Unschedulable: ${why}` });
    expect(status?.events).toEqual([`Pod big-x7k2p: FailedScheduling: ${why}`]);
  });
});
