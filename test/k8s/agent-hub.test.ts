import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, type Stack, startStack } from "../support/stack.ts";
import { type FakeApiServer, startFakeApiServer } from "./fake-apiserver.ts";
import { aGpuNode, aPod } from "./fixtures.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const JOBS = "batch/v1/jobs";
const json = { "content-type": "application/json" };

interface ClusterBody {
  state: string;
  tier: string;
  region: string;
  name: string;
  health: string;
  nodes: { name: string; gpu?: { model: string; count: number; memoryGiB: number }; gpusUsed: number }[];
}
interface WorkloadBody {
  status: { phase: string; placements: { cluster: string; phase: string }[] };
}

/**
 * The real `gantry agent --driver kubernetes` process, pointed by kubeconfig at the fake API
 * server, talking to a real hub through a real nats-server.
 */
describe("gantry agent --driver kubernetes, end to end through NATS", () => {
  let api: FakeApiServer;
  let stack: Stack;
  let agent: ChildProcess;
  let agentLog = "";

  beforeAll(async () => {
    api = await startFakeApiServer({ bookmarkIntervalMs: 200 });
    api.store.put("v1/nodes", aGpuNode({ name: "gpu-a", gpus: 8 }));
    api.store.put("v1/nodes", aGpuNode({ name: "gpu-b", gpus: 8 }));
    api.store.put("v1/pods", aPod({ name: "someone-else", namespace: "ml", node: "gpu-b", gpus: 6 }));
    stack = await startStack({ database: "pglite", fleet: { clusters: [] } });
    const dir = await mkdtemp(join(tmpdir(), "gantry-k8s-"));
    const kubeconfig = join(dir, "kubeconfig");
    const describeFile = join(dir, "cluster.yaml");
    await writeFile(kubeconfig, api.kubeconfigYaml());
    await writeFile(
      describeFile,
      "name: k8s-eu\ntier: cloud\nprovider: gcp\nregion: europe-west4\npricing: { gpuHour: { A100: 3.7 } }\n",
    );
    // The operator registers the cluster first: the hub mints its agent's NATS credentials (the bus refuses anyone else).
    const registered = await stack.api("/clusters", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ name: "k8s-eu" }),
    });
    expect(registered.status).toBe(201);
    const creds = join(dir, "agent.creds");
    await writeFile(creds, ((await registered.json()) as { credentials: string }).credentials, { mode: 0o600 });
    agent = spawn(
      "node",
      [
        join(root, "packages/hub/bin/gantry.mjs"),
        "agent",
        "--driver",
        "kubernetes",
        "--cluster",
        "k8s-eu",
        "--describe",
        describeFile,
        "--kubeconfig",
        kubeconfig,
        "--nats-url",
        stack.nats.url,
        "--creds",
        creds,
        "--heartbeat-ms",
        "300",
      ],
      { cwd: root, env: { ...process.env, GANTRY_CREATE_NAMESPACES: "true", LOG_LEVEL: "warn" } },
    );
    agent.stderr?.on("data", (c: Buffer) => {
      agentLog = (agentLog + c.toString()).slice(-4000);
    });
  });
  afterAll(async () => {
    agent?.kill("SIGTERM");
    await stack?.close();
    await api?.close();
  });

  it("reports per-node GPU capacity from node labels and running pods", async () => {
    const cluster = await eventually(
      async () => {
        const r = await stack.api("/clusters/k8s-eu");
        if (r.status !== 200) return undefined;
        const c = (await r.json()) as ClusterBody;
        return c.health === "ready" ? c : undefined;
      },
      "the kubernetes agent to report",
      30_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nagent log:\n${agentLog}`);
    });
    const byName = Object.fromEntries(cluster.nodes.map((n) => [n.name, n]));
    expect(byName["gpu-a"]).toMatchObject({ gpu: { model: "A100", count: 8, memoryGiB: 80 }, gpusUsed: 0 });
    expect(byName["gpu-b"]).toMatchObject({ gpusUsed: 6 });
    // Registered by name only: tier, region and prices are what its agent reported.
    expect(cluster).toMatchObject({ state: "registered", tier: "cloud", region: "europe-west4" });
  });

  it("applies a placed Job, reports its status back, and deletes it with the workload", async () => {
    const workload = {
      apiVersion: "gantry.dev/v1alpha1",
      kind: "Workload",
      metadata: { name: "train", tenant: "vision" },
      spec: {
        type: "job",
        replicas: 1,
        resources: { gpu: { count: 8, models: ["A100"] } },
        template: {
          apiVersion: "batch/v1",
          kind: "Job",
          metadata: { name: "train" },
          spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "t", image: "x" }] } } },
        },
      },
    };
    const r = await stack.api("/workloads", { method: "POST", headers: json, body: JSON.stringify(workload) });
    expect(r.status).toBe(201);
    // 8 free A100 on one node: only gpu-a has them (gpu-b has 2 left).
    const job = await eventually(async () => api.store.get(JOBS, "gantry-vision", "train"), "the Job to be applied");
    const meta = job.metadata as { labels: Record<string, string>; annotations: Record<string, string> };
    expect(meta.labels["gantry.dev/workload"]).toBe("train");
    expect(meta.labels["gantry.dev/managed-by"]).toBe("gantry");
    expect(meta.annotations["gantry.dev/generation"]).toBe("1");

    api.store.put(JOBS, {
      ...job,
      status: {
        succeeded: 1,
        startTime: new Date().toISOString(),
        completionTime: new Date().toISOString(),
        conditions: [{ type: "Complete", status: "True" }],
      },
    });
    await eventually(async () => {
      const w = (await (await stack.api("/workloads/train")).json()) as WorkloadBody;
      return w.status.phase === "Succeeded" ? w : undefined;
    }, "Succeeded to flow back to the hub");
    // A finished job leaves the desired state, so the agent removes what it applied.
    await eventually(
      async () => (api.store.get(JOBS, "gantry-vision", "train") ? undefined : true),
      "the Job to be deleted",
    );
  });

  it("removes a running workload's objects when the workload is deleted, and leaves others alone", async () => {
    api.store.put(JOBS, {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "not-ours", namespace: "gantry-vision", labels: {} },
      spec: {},
    });
    const svc = {
      apiVersion: "gantry.dev/v1alpha1",
      kind: "Workload",
      metadata: { name: "batch-2", tenant: "vision" },
      spec: {
        type: "job",
        replicas: 1,
        resources: { gpu: { count: 1, models: ["A100"] } },
        template: {
          apiVersion: "batch/v1",
          kind: "Job",
          metadata: { name: "batch-2" },
          spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox" }] } } },
        },
      },
    };
    expect((await stack.api("/workloads", { method: "POST", headers: json, body: JSON.stringify(svc) })).status).toBe(
      201,
    );
    await eventually(async () => api.store.get(JOBS, "gantry-vision", "batch-2"), "batch-2 applied");
    expect((await stack.api("/workloads/batch-2", { method: "DELETE" })).status).toBe(204);
    await eventually(
      async () => (api.store.get(JOBS, "gantry-vision", "batch-2") ? undefined : true),
      "batch-2 deleted",
    );
    expect(api.store.get(JOBS, "gantry-vision", "not-ours")).toBeDefined();
  });
});
