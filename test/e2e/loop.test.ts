import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { aJob, aService, threeClusterFleet } from "../support/fleets.ts";
import { type DatabaseKind, eventually, type Stack, startStack } from "../support/stack.ts";

interface WorkloadBody {
  metadata: { name: string };
  status: { phase: string; message: string; placements: { cluster: string; replicas: number; phase: string }[] };
}

const json = { "content-type": "application/json" };

describe.each<DatabaseKind>(["pglite", "postgres"])("the whole loop on %s", (database) => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ database, fleet: threeClusterFleet(), secondsPerHour: 2 });
    await stack.readyClusters(3);
  });
  afterAll(async () => stack?.close());

  const workload = async (name: string): Promise<WorkloadBody> => {
    const r = await stack.api(`/workloads/${name}`);
    expect(r.status).toBe(200);
    return (await r.json()) as WorkloadBody;
  };
  const phaseOf = (name: string, phase: string) =>
    eventually(async () => {
      const w = await workload(name);
      return w.status.phase === phase ? w : undefined;
    }, `${name} to be ${phase}`);

  it("places a job on the cheapest fitting cluster, runs it and reports success", async () => {
    const r = await stack.api("/workloads", { method: "POST", headers: json, body: JSON.stringify(aJob("train-1")) });
    expect(r.status).toBe(201);
    const submitted = (await r.json()) as WorkloadBody;
    // Accepted at once; the leader places it right after (a submission never waits for a scheduling pass).
    expect(["Pending", "Placed"]).toContain(submitted.status.phase);
    const placed = await eventually(async () => {
      const w = await workload("train-1");
      return w.status.placements.length > 0 ? w : undefined;
    }, "train-1 placed");
    expect(placed.status.placements).toEqual([expect.objectContaining({ cluster: "onprem-a", replicas: 2 })]);

    const running = await phaseOf("train-1", "Running");
    expect(running.status.placements[0]?.phase).toBe("Running");
    const statuses = await stack.agents.get("onprem-a")?.driver.statuses();
    expect(statuses?.map((s) => s.workload)).toContain("train-1");

    const done = await phaseOf("train-1", "Succeeded");
    expect(done.status.placements[0]?.phase).toBe("Succeeded");

    const list = (await (await stack.api("/workloads")).json()) as { items: WorkloadBody[] };
    expect(list.items.find((w) => w.metadata.name === "train-1")?.status.phase).toBe("Succeeded");
  });

  it("accepts YAML and removes a deleted workload from its agent's cluster", async () => {
    const r = await stack.api("/workloads", {
      method: "POST",
      headers: { "content-type": "application/yaml" },
      body: stringify(aService("chat")),
    });
    expect(r.status).toBe(201);
    await phaseOf("chat", "Running");
    const edge = stack.agents.get("edge-c");
    expect((await edge?.driver.statuses())?.map((s) => s.workload)).toEqual(["chat"]);
    expect(edge?.driver.capacity().nodes.map((n) => n.gpusUsed)).toEqual([1, 1]);

    expect((await stack.api("/workloads/chat", { method: "DELETE" })).status).toBe(204);
    expect((await stack.api("/workloads/chat")).status).toBe(404);
    await eventually(
      async () => ((await edge?.driver.statuses())?.length === 0 ? true : undefined),
      "agent to drop chat",
    );
    expect(edge?.driver.capacity().nodes.map((n) => n.gpusUsed)).toEqual([0, 0]);
  });

  it("rejects a malformed workload with 400 naming the field, and stores nothing", async () => {
    const bad = aJob("broken", { resources: { gpu: { count: -2 } } });
    const r = await stack.api("/workloads", { method: "POST", headers: json, body: JSON.stringify(bad) });
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await r.json()) as { code: string; errors: { field: string }[] };
    expect(problem.code).toBe("validation_failed");
    expect(problem.errors.map((e) => e.field)).toContain("spec.resources.gpu.count");
    expect((await stack.api("/workloads/broken")).status).toBe(404);

    const yamlError = await stack.api("/workloads", {
      method: "POST",
      headers: { "content-type": "application/yaml" },
      body: "metadata: [unclosed",
    });
    expect(yamlError.status).toBe(400);
  });

  it("answers a retried submission with the stored workload, refuses another spec under the name, touches neither", async () => {
    const body = JSON.stringify(aService("dup", { replicas: 1 }));
    const first = await stack.api("/workloads", { method: "POST", headers: json, body });
    expect(first.status).toBe(201);
    const uid = ((await first.json()) as { metadata: { uid: string } }).metadata.uid;
    const retry = await stack.api("/workloads", { method: "POST", headers: json, body });
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as { metadata: { uid: string } }).metadata.uid).toBe(uid);
    const other = JSON.stringify(aService("dup", { replicas: 2 }));
    const again = await stack.api("/workloads", { method: "POST", headers: json, body: other });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { code: string }).code).toBe("conflict");
    // The first one is untouched: it goes on to run (once the edge reports the GPUs `chat` freed).
    await phaseOf("dup", "Running");
  });

  it("keeps its state across a hub restart", async () => {
    await stack.restartHub();
    const list = (await (await stack.api("/workloads")).json()) as { items: WorkloadBody[] };
    expect(list.items.map((w) => w.metadata.name).sort()).toEqual(["dup", "train-1"]);
    expect((await workload("train-1")).status.phase).toBe("Succeeded");
    // The restarted hub still drives the fleet: a new job is placed and run.
    const r = await stack.api("/workloads", { method: "POST", headers: json, body: JSON.stringify(aJob("train-2")) });
    expect(r.status).toBe(201);
    await phaseOf("train-2", "Succeeded");
  });

  it("explains the decision and serves the OpenAPI document, metrics and the dashboard", async () => {
    const e = (await (await stack.api("/workloads/train-1/explain")).json()) as {
      decision: { clusters: { cluster: string; verdict: string }[]; runnerUp: string | null };
    };
    const verdicts = Object.fromEntries(e.decision.clusters.map((c) => [c.cluster, c.verdict]));
    expect(verdicts["onprem-a"]).toBe("selected");
    expect(verdicts["edge-c"]).toBe("filtered");
    const doc = (await (await stack.api("/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/workloads", "/tenants/{tenant}/workloads/{name}", "/workloads/{name}", "/clusters"]),
    );
    const metrics = await (await fetch(`${stack.hub.url}/metrics`)).text();
    expect(metrics).toMatch(/gantry_decisions_total\{outcome="placed"\} [1-9]/);
    expect(metrics).toMatch(/gantry_agent_messages_total\{kind="heartbeat",result="accepted",reason=""\} [1-9]/);
    const dashboard = await fetch(`${stack.hub.url}/`);
    expect(dashboard.headers.get("content-type")).toContain("text/html");
    expect(await dashboard.text()).toContain("<title>Gantry</title>");
  });
});
