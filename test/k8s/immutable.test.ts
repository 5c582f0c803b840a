import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createKubernetesDriver,
  type KubernetesDriver,
  type KubernetesDriverOptions,
} from "../../packages/agent/src/drivers/kubernetes/index.ts";
import { type FakeApiServer, startFakeApiServer } from "./fake-apiserver.ts";
import type { Obj } from "./fake-store.ts";
import { aGpuNode, aNamespace, aPod } from "./fixtures.ts";
import {
  aCluster,
  aDeploymentManifest,
  aJobManifest,
  aPlacement,
  aStatefulSetManifest,
  memoryLogger,
} from "./support/driver-fixtures.ts";

const JOBS = "batch/v1/jobs";
const NS = "gantry-vision";

let api: FakeApiServer;
const drivers: KubernetesDriver[] = [];

const driverFor = async (extra: Partial<KubernetesDriverOptions> = {}): Promise<KubernetesDriver> => {
  const driver = createKubernetesDriver({
    kubeConfig: api.kubeConfig(),
    cluster: aCluster(),
    logger: memoryLogger(),
    namespaces: { create: true },
    retryDelayMs: 50,
    recreate: { waitMs: 2_000, pollMs: 20 },
    ...extra,
  });
  drivers.push(driver);
  await driver.start();
  return driver;
};

type Spec = Obj & { spec: Record<string, unknown> };
const stored = (resource: string, name: string) => api.store.get(resource, NS, name) as Spec | undefined;

/** The affinity values a Job's pod template asks for, as JSON: shows which GPU model a generation targets. */
const affinityOf = (o: Spec | undefined): string =>
  JSON.stringify((o?.spec.template as { spec?: { affinity?: unknown } } | undefined)?.spec?.affinity ?? null);

/** Mark a Job started as the job controller would: startTime, active pods. */
const start = (name: string) => {
  const o = api.store.get(JOBS, NS, name);
  if (!o) throw new Error(`no Job ${name}`);
  api.store.put(JOBS, { ...o, status: { startTime: "2024-05-01T10:00:00Z", active: 2, ready: 2 } });
  api.store.put(
    "v1/pods",
    aPod({
      name: `${name}-x7k2p`,
      namespace: NS,
      node: "a100-1",
      gpus: 4,
      labels: { "gantry.dev/workload": name, "gantry.dev/tenant": "vision", "gantry.dev/managed-by": "gantry" },
    }),
  );
};

const deletes = () =>
  api.requests.filter((r) => r.method === "DELETE").map((r) => JSON.parse(r.body || "{}") as Record<string, unknown>);

beforeEach(async () => {
  api = await startFakeApiServer({ bookmarkIntervalMs: 100 });
  api.store.put("v1/nodes", aGpuNode({ name: "a100-1" }));
  api.store.put("v1/nodes", aGpuNode({ name: "h100-1", product: "NVIDIA-H100-80GB-HBM3" }));
});

afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close();
  await api.close();
});

describe("the fake API server refuses changes to immutable fields like a real one", () => {
  const call = async (method: string, path: string, body: unknown, contentType: string) => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { "content-type": contentType },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const apply = (path: string, body: unknown) =>
    call("PATCH", `${path}?fieldManager=test&force=true`, body, "application/apply-patch+yaml");

  beforeEach(() => {
    api.store.put("v1/namespaces", aNamespace(NS));
  });

  it("answers 422 Invalid with details.causes for a Job's template, by server-side apply and by update", async () => {
    const path = `/apis/batch/v1/namespaces/${NS}/jobs/train`;
    const job = aJobManifest("train") as unknown as { spec: Record<string, unknown> };
    expect((await apply(path, job)).status).toBe(201);
    const changed = structuredClone(job) as unknown as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    const container = changed.spec.template.spec.containers[0];
    if (container) container.image = "ghcr.io/example/resnet:1.5";

    const patched = await apply(path, changed);
    expect(patched.status).toBe(422);
    expect(patched.body).toMatchObject({
      kind: "Status",
      status: "Failure",
      reason: "Invalid",
      code: 422,
      details: { name: "train", group: "batch", kind: "Job" },
    });
    expect((patched.body.details as { causes: unknown[] }).causes).toEqual([
      expect.objectContaining({ reason: "FieldValueInvalid", field: "spec.template" }),
    ]);
    expect(String(patched.body.message)).toMatch(
      /^Job\.batch "train" is invalid: spec\.template: .*field is immutable$/,
    );

    const current = api.store.get(JOBS, NS, "train");
    const put = await call("PUT", path, { ...changed, metadata: current?.metadata }, "application/json");
    expect(put.status).toBe(422);
    expect((put.body.details as { causes: { field: string }[] }).causes.map((c) => c.field)).toEqual(["spec.template"]);
    // Parallelism is mutable: that update goes through.
    const scaled = { ...job, spec: { ...job.spec, parallelism: 2 } };
    expect((await apply(path, scaled)).status).toBe(200);
  });

  it("refuses a Deployment's selector and a StatefulSet's other spec fields, and lets replicas change", async () => {
    const dep = `/apis/apps/v1/namespaces/${NS}/deployments/llm`;
    const d = aDeploymentManifest("llm");
    expect((await apply(dep, d)).status).toBe(201);
    const moved = structuredClone(d) as unknown as { spec: { selector: { matchLabels: Record<string, string> } } };
    moved.spec.selector.matchLabels.tier = "gpu";
    const refused = await apply(dep, moved);
    expect(refused.status).toBe(422);
    expect(refused.body.details).toMatchObject({ causes: [{ reason: "FieldValueInvalid", field: "spec.selector" }] });
    expect((await apply(dep, { ...d, spec: { ...(d.spec as object), replicas: 3 } })).status).toBe(200);

    const sts = `/apis/apps/v1/namespaces/${NS}/statefulsets/tgi`;
    const s = aStatefulSetManifest("tgi");
    expect((await apply(sts, s)).status).toBe(201);
    const renamed = await apply(sts, { ...s, spec: { ...(s.spec as object), serviceName: "other" } });
    expect(renamed.status).toBe(422);
    expect(renamed.body.details).toMatchObject({ causes: [{ reason: "FieldValueForbidden", field: "spec" }] });
    expect(String(renamed.body.message)).toContain("updates to statefulset spec for fields other than 'replicas'");
    expect((await apply(sts, { ...s, spec: { ...(s.spec as object), replicas: 4 } })).status).toBe(200);
  });
});

describe("a placement update that changes immutable fields", () => {
  it("recreates a restartable Job that is running: Foreground delete of the old uid, then the new generation", async () => {
    const d = await driverFor();
    const first = aPlacement({
      workload: "train",
      gpuModel: "A100",
      restartable: true,
      template: [aJobManifest("train")],
    });
    await d.reconcile([first]);
    start("train");
    const before = stored(JOBS, "train");
    expect(affinityOf(before)).toContain("A100");

    const moved = aPlacement({
      workload: "train",
      generation: 2,
      gpuModel: "H100",
      restartable: true,
      template: [aJobManifest("train")],
    });
    await d.reconcile([moved]);

    const after = stored(JOBS, "train");
    expect(after?.metadata.uid).not.toBe(before?.metadata.uid);
    expect(affinityOf(after)).toContain("H100");
    expect(affinityOf(after)).not.toContain("A100");
    expect(after?.metadata.annotations?.["gantry.dev/generation"]).toBe("2");
    expect(deletes()).toEqual([
      {
        apiVersion: "v1",
        kind: "DeleteOptions",
        propagationPolicy: "Foreground",
        preconditions: { uid: before?.metadata.uid },
      },
    ]);
    const [status] = await d.statuses();
    expect(status).toMatchObject({ workload: "train", generation: 2 });
    expect(status?.message).toBe("");
  });

  it("does not recreate a running Job that is not restartable, and says which field and why", async () => {
    const d = await driverFor();
    await d.reconcile([aPlacement({ workload: "train", gpuModel: "A100", template: [aJobManifest("train")] })]);
    start("train");
    const before = stored(JOBS, "train");

    await d.reconcile([
      aPlacement({ workload: "train", generation: 2, gpuModel: "H100", template: [aJobManifest("train")] }),
    ]);
    const after = stored(JOBS, "train");
    expect(after?.metadata.uid).toBe(before?.metadata.uid);
    expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
    expect(affinityOf(after)).toContain("A100");
    expect(deletes()).toEqual([]);

    const [status] = await d.statuses();
    // The old generation keeps running; the hub sees generation 1 and the reason.
    expect(status).toMatchObject({ workload: "train", phase: "Running", generation: 1 });
    expect(status?.message).toContain("generation 2 not applied: spec.template of batch/v1 Job gantry-vision/train");
    expect(status?.message).toContain("not restartable and has already started");
  });

  it("recreates a Job that is not restartable but has not started: nothing is lost", async () => {
    const d = await driverFor();
    await d.reconcile([aPlacement({ workload: "train", gpuModel: "A100", template: [aJobManifest("train")] })]);
    const before = stored(JOBS, "train");
    await d.reconcile([
      aPlacement({ workload: "train", generation: 2, gpuModel: "H100", template: [aJobManifest("train")] }),
    ]);
    const after = stored(JOBS, "train");
    expect(after?.metadata.uid).not.toBe(before?.metadata.uid);
    expect(affinityOf(after)).toContain("H100");
  });

  it("recreates a service's Deployment whose selector changed", async () => {
    const d = await driverFor();
    const svc = (generation: number, selector: Record<string, string>) =>
      aPlacement({
        workload: "llm",
        type: "service",
        generation,
        replicas: 1,
        template: [
          aDeploymentManifest("llm", {
            selector: { matchLabels: { ...selector } },
            template: {
              metadata: { labels: { ...selector } },
              spec: { containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.8.5" }] },
            },
          }),
        ],
      });
    await d.reconcile([svc(1, { app: "llm" })]);
    const before = stored("apps/v1/deployments", "llm");
    await d.reconcile([svc(2, { app: "llm", rev: "2" })]);
    const after = stored("apps/v1/deployments", "llm");
    expect(after?.metadata.uid).not.toBe(before?.metadata.uid);
    expect(after?.spec.selector).toEqual({ matchLabels: { app: "llm", rev: "2" } });
    expect(deletes().map((b) => b.propagationPolicy)).toEqual(["Foreground"]);
  });

  it("recreates a service's StatefulSet whose volume claims changed, and scales one in place", async () => {
    const d = await driverFor();
    const svc = (generation: number, replicas: number, storage: string) =>
      aPlacement({
        workload: "tgi",
        type: "service",
        generation,
        replicas,
        template: [
          aStatefulSetManifest("tgi", {
            volumeClaimTemplates: [
              {
                metadata: { name: "cache" },
                spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage } } },
              },
            ],
          }),
        ],
      });
    await d.reconcile([svc(1, 1, "100Gi")]);
    const first = stored("apps/v1/statefulsets", "tgi");
    await d.reconcile([svc(2, 3, "100Gi")]);
    const scaled = stored("apps/v1/statefulsets", "tgi");
    expect(scaled?.metadata.uid).toBe(first?.metadata.uid);
    expect(scaled?.spec.replicas).toBe(3);
    expect(deletes()).toEqual([]);

    await d.reconcile([svc(3, 3, "200Gi")]);
    const grown = stored("apps/v1/statefulsets", "tgi");
    expect(grown?.metadata.uid).not.toBe(first?.metadata.uid);
    expect(JSON.stringify(grown?.spec.volumeClaimTemplates)).toContain("200Gi");
    expect(grown?.metadata.annotations?.["gantry.dev/generation"]).toBe("3");
  });

  it("reports a recreate whose old object is still being deleted, and finishes it on a later reconcile", async () => {
    api.setForegroundDeletionMs(60_000); // the old pods take their time to stop
    const d = await driverFor({ recreate: { waitMs: 200, pollMs: 20 } });
    const gen = (generation: number, gpuModel: string) =>
      aPlacement({ workload: "train", generation, gpuModel, restartable: true, template: [aJobManifest("train")] });
    await d.reconcile([gen(1, "A100")]);
    const before = stored(JOBS, "train");

    await d.reconcile([gen(2, "H100")]);
    const terminating = stored(JOBS, "train");
    expect(terminating?.metadata.uid).toBe(before?.metadata.uid);
    expect(terminating?.metadata.deletionTimestamp).toBeDefined();
    const [waiting] = await d.statuses();
    expect(waiting?.generation).toBe(1);
    expect(waiting?.message).toContain("recreating it, waiting for the old object to be deleted");

    // A resync while the deletion is still under way must not write to the terminating object.
    const rv = terminating?.metadata.resourceVersion;
    await d.reconcile([gen(2, "H100")]);
    expect(stored(JOBS, "train")?.metadata.resourceVersion).toBe(rv);
    expect((await d.statuses())[0]?.message).toContain("waiting for batch/v1 Job gantry-vision/train to be deleted");

    api.finishDeletions();
    await d.reconcile([gen(2, "H100")]);
    const after = stored(JOBS, "train");
    expect(after?.metadata.uid).not.toBe(before?.metadata.uid);
    expect(after?.metadata.deletionTimestamp).toBeUndefined();
    expect(affinityOf(after)).toContain("H100");
    const [done] = await d.statuses();
    expect(done).toMatchObject({ generation: 2, message: "" });
  });
});
