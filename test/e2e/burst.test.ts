import { readFileSync } from "node:fs";
import { Fleet, type FleetInput, parseDocument } from "@gantry/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, type Stack, startStack } from "../support/stack.ts";

/**
 * The burst story end to end, on real NATS, PostgreSQL and simulated agents, with times shortened
 * through configuration: 1 simulated hour = 2 s, triggers and cool-downs in seconds.
 */
const fleet = Fleet.parse(
  parseDocument(readFileSync(new URL("../../examples/burst/fleet.yaml", import.meta.url), "utf8")),
) as FleetInput;

const policy = {
  apiVersion: "gantry.dev/v1alpha1",
  kind: "BurstPolicy",
  metadata: { name: "gpu-burst" },
  spec: {
    tenants: ["vision"],
    pools: [
      { name: "onprem", selector: { tiers: ["onprem"] } },
      { name: "cloud-spot", selector: { tiers: ["cloud"] }, capacity: "spot" },
      { name: "cloud-on-demand", selector: { tiers: ["cloud"] }, capacity: "on-demand" },
    ],
    burst: { afterWaitSeconds: 2 },
    // One 4×A100 spot service costs $6/h: a second one would cross $10/h.
    caps: { maxBurstSpendPerHour: 10 },
    drainBack: { enabled: true, afterSeconds: 1 },
  },
};
/** Research jobs wait for on-prem only: a one-pool policy never bursts. */
const onpremOnly = {
  apiVersion: "gantry.dev/v1alpha1",
  kind: "BurstPolicy",
  metadata: { name: "onprem-only" },
  spec: { tenants: ["research"], pools: [{ name: "onprem", selector: { tiers: ["onprem"] } }] },
};

const workload = (name: string, tenant: string, spec: Record<string, unknown>) => ({
  apiVersion: "gantry.dev/v1alpha1",
  kind: "Workload",
  metadata: { name, tenant },
  spec: {
    replicas: 1,
    resources: { gpu: { count: 4, models: ["A100"] }, cpu: 8, memoryGiB: 64 },
    template: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name },
      spec: {
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "main", image: "busybox" }] } },
      },
    },
    ...spec,
  },
});

interface Placement {
  cluster: string;
  active: boolean;
  spot: boolean;
  phase: string;
}
interface View {
  status: { phase: string; message: string; placements: Placement[] };
}
interface Explain {
  phase: string;
  message: string;
  policy: string | null;
  pool: string | null;
  burst?: string;
}

const json = { "content-type": "application/json" };

describe("hybrid burst: queue, burst trigger, spend cap, drain-back (PostgreSQL)", () => {
  let stack: Stack;
  const get = async <T>(path: string): Promise<T> => (await (await stack.api(path)).json()) as T;
  const submit = async (body: unknown) => {
    const r = await stack.api("/workloads", { method: "POST", headers: json, body: JSON.stringify(body) });
    expect(r.status, await r.clone().text()).toBe(201);
  };
  const until = <T>(path: string, ok: (v: T) => boolean, what: string, timeoutMs = 20_000) =>
    eventually(
      async () => {
        const v = await get<T>(path);
        return ok(v) ? v : undefined;
      },
      what,
      timeoutMs,
    );

  beforeAll(async () => {
    stack = await startStack({
      database: "postgres",
      fleet,
      secondsPerHour: 2,
      // Spend is billed on the hub's real clock: accrue on every tick, not once a minute, to see it within seconds.
      hub: { upkeepIntervalMs: 200, queueIntervalMs: 300, accrueEveryMs: 1 },
    });
    await stack.readyClusters(2);
    for (const p of [policy, onpremOnly]) {
      const r = await stack.api(`/policies/${p.metadata.name}`, {
        method: "PUT",
        headers: json,
        body: JSON.stringify(p),
      });
      expect(r.status).toBe(201);
    }
  });
  afterAll(async () => stack?.close());

  it("runs the whole story", async () => {
    // 1. On-prem saturates: an 8-GPU job fills the only on-prem node for 5 simulated hours (10 s).
    await submit(
      workload("fill", "research", {
        type: "job",
        durationHours: 5,
        resources: { gpu: { count: 8, models: ["A100"] } },
      }),
    );
    await until<View>("/workloads/fill", (w) => w.status.phase === "Running", "fill running on-prem");
    expect((await get<Explain>("/workloads/fill/explain")).pool).toBe("onprem");

    // 2. A queue builds: the service waits for on-prem, and says so.
    await submit(workload("svc-1", "vision", { type: "service" }));
    const waiting = await until<Explain>(
      "/workloads/svc-1/explain",
      (e) => e.message !== "waiting for a placement decision",
      "svc-1 decided",
    );
    expect(waiting.phase).toBe("Pending");
    expect(waiting.message).toMatch(/waiting for onprem .*allows cloud-spot after 2 s/);

    // 3. The wait trigger fires: it bursts to cloud spot, and explain says why.
    const burst = await until<Explain>(
      "/workloads/svc-1/explain",
      (e) => e.pool === "cloud-spot",
      "svc-1 to burst",
      10_000,
    );
    expect(burst.burst).toMatch(
      /waited \d+ s for onprem; policy gpu-burst allows cloud-spot after 2 s; burst spend today \$/,
    );
    const svc1 = await until<View>(
      "/workloads/svc-1",
      (w) => w.status.phase === "Running",
      "svc-1 running in the cloud",
    );
    expect(svc1.status.placements).toEqual([
      expect.objectContaining({ cluster: "cloud-east", spot: true, active: true }),
    ]);

    // 4. The spend cap stops further burst: a second service would take burst spend past $10/h.
    await submit(workload("svc-2", "vision", { type: "service" }));
    const capped = await until<View>(
      "/workloads/svc-2",
      (w) => /burst spend cap/.test(w.status.message),
      "svc-2 held by the spend cap",
      6_000,
    );
    expect(capped.status.phase).toBe("Pending");
    expect(capped.status.message).toMatch(/\$6\.00\/h running \+ \$6\.00\/h > max \$10\.00\/h/);

    // 5. Queue order: a higher-priority job submitted later goes before svc-2 when on-prem frees.
    await submit(
      workload("urgent", "research", {
        type: "job",
        durationHours: 1,
        priority: 10,
        resources: { gpu: { count: 8, models: ["A100"] } },
      }),
    );
    const urgent = await until<View>(
      "/workloads/urgent",
      (w) => w.status.phase !== "Pending",
      "urgent placed once fill ends",
      15_000,
    );
    expect(urgent.status.placements.map((p) => p.cluster)).toEqual(["onprem-small"]);
    expect((await get<View>("/workloads/svc-2")).status.phase).toBe("Pending");

    // 6. On-prem frees again: svc-2 lands there, and svc-1 drains back — new replicas first.
    const phasesSeen = new Set<string>();
    const drained = await eventually(
      async () => {
        const w = await get<View>("/workloads/svc-1");
        phasesSeen.add(w.status.phase);
        const active = w.status.placements.filter((p) => p.active).map((p) => p.cluster);
        return active.length === 1 && active[0] === "onprem-small" && w.status.phase === "Running" ? w : undefined;
      },
      "svc-1 to drain back to on-prem",
      20_000,
    );
    expect(phasesSeen).toEqual(new Set(["Running"]));
    expect(drained.status.placements.find((p) => p.cluster === "cloud-east")?.active).toBe(false);
    expect((await get<Explain>("/workloads/svc-1/explain")).burst).toMatch(/drained back from cloud-spot to onprem/);
    const svc2 = await until<View>("/workloads/svc-2", (w) => w.status.phase === "Running", "svc-2 running");
    expect(svc2.status.placements.map((p) => p.cluster)).toEqual(["onprem-small"]);
    const cloudAgent = stack.agents.get("cloud-east");
    await eventually(
      async () => ((await cloudAgent?.driver.statuses())?.length === 0 ? true : undefined),
      "cloud agent to drop svc-1",
    );

    // 7. Spend is reported by tenant, cluster and pool.
    const byPool = await get<{ items: { key: string; total: number }[] }>("/costs?groupBy=pool");
    expect(byPool.items.find((i) => i.key === "cloud-spot")?.total).toBeGreaterThan(0);
    expect(byPool.items.find((i) => i.key === "onprem")?.total).toBeGreaterThan(0);
    const byCluster = await get<{ items: { key: string }[] }>("/costs?groupBy=cluster");
    expect(byCluster.items.map((i) => i.key)).toEqual(["cloud-east", "onprem-small"]);
    const byTenant = await get<{ items: { key: string }[] }>("/costs?groupBy=tenant");
    expect(byTenant.items.map((i) => i.key)).toEqual(["research", "vision"]);
  });
});

describe("budgets and the runaway guard (PostgreSQL)", () => {
  let stack: Stack;
  beforeAll(async () => {
    // Spend is billed on the hub's real clock: accrue on every tick, not once a minute, to see the budget spent.
    stack = await startStack({
      database: "postgres",
      fleet,
      secondsPerHour: 2,
      hub: { upkeepIntervalMs: 200, accrueEveryMs: 1 },
    });
    await stack.readyClusters(2);
  });
  afterAll(async () => stack?.close());

  it("refuses new work over budget with a clear error, holds the queue, and loses nothing", async () => {
    const budget = {
      apiVersion: "gantry.dev/v1alpha1",
      kind: "Budget",
      metadata: { name: "thrifty" },
      spec: { perDay: 0.002 },
    };
    expect(
      (await stack.api("/budgets/thrifty", { method: "PUT", headers: json, body: JSON.stringify(budget) })).status,
    ).toBe(200);
    // 8 GPUs on-prem at $1/h: the budget is gone within a second of running.
    const big = workload("spender", "thrifty", { type: "service", resources: { gpu: { count: 8, models: ["A100"] } } });
    expect((await stack.api("/workloads", { method: "POST", headers: json, body: JSON.stringify(big) })).status).toBe(
      201,
    );
    const queued = workload("queued", "thrifty", {
      type: "service",
      resources: { gpu: { count: 8, models: ["A100"] } },
      placement: { tiers: ["onprem"] },
    });
    expect(
      (await stack.api("/workloads", { method: "POST", headers: json, body: JSON.stringify(queued) })).status,
    ).toBe(201);

    await eventually(async () => {
      const b = (await (await stack.api("/budgets")).json()) as { items: { status: { spentToday: number } }[] };
      return (b.items[0]?.status.spentToday ?? 0) >= 0.002 ? true : undefined;
    }, "the daily budget to be spent");
    const refused = await stack.api("/workloads", {
      method: "POST",
      headers: json,
      body: JSON.stringify(workload("late", "thrifty", { type: "service" })),
    });
    expect(refused.status).toBe(422);
    const problem = (await refused.json()) as { code: string; detail: string };
    expect(problem.code).toBe("budget_exceeded");
    expect(problem.detail).toMatch(/tenant thrifty has spent \$0\.\d+ of its \$0\.002 daily budget/);
    expect((await stack.api("/workloads/late")).status).toBe(404);

    // Already accepted work is kept: the running one runs, the queued one is held with the reason.
    await stack.api("/workloads/spender", { method: "DELETE" });
    const held = await eventually(async () => {
      const w = (await (await stack.api("/workloads/queued")).json()) as View;
      return /^held: tenant thrifty has spent/.test(w.status.message) ? w : undefined;
    }, "queued to be held");
    expect(held.status.phase).toBe("Pending");

    // Raising the budget releases it.
    const more = { ...budget, spec: { perDay: 1000 } };
    await stack.api("/budgets/thrifty", { method: "PUT", headers: json, body: JSON.stringify(more) });
    await eventually(async () => {
      const w = (await (await stack.api("/workloads/queued")).json()) as View;
      return w.status.phase === "Running" ? true : undefined;
    }, "queued to run once the budget allows");
    await stack.api("/workloads/queued", { method: "DELETE" });
  });

  it("stops a workload past its maxRuntimeHours through its agent, with the reason", async () => {
    const runaway = workload("runaway", "default", { type: "service", maxRuntimeHours: 0.0003 });
    expect(
      (await stack.api("/workloads", { method: "POST", headers: json, body: JSON.stringify(runaway) })).status,
    ).toBe(201);
    const stopped = await eventually(async () => {
      const w = (await (await stack.api("/workloads/runaway")).json()) as View;
      return w.status.phase === "Failed" ? w : undefined;
    }, "the runaway guard");
    expect(stopped.status.message).toMatch(/stopped by the runaway guard: ran .* past maxRuntimeHours 0.0003/);
    const agent = stack.agents.get("onprem-small");
    await eventually(
      async () => ((await agent?.driver.statuses())?.some((s) => s.workload === "runaway") ? undefined : true),
      "agent to stop it",
    );
  });

  it("validates policies, naming the field", async () => {
    const bad = {
      ...policy,
      metadata: { name: "bad" },
      spec: { ...policy.spec, pools: [{ name: "Not Valid", selector: { tiers: ["moon"] } }] },
    };
    const r = await stack.api("/policies/bad", { method: "PUT", headers: json, body: JSON.stringify(bad) });
    expect(r.status).toBe(400);
    const p = (await r.json()) as { errors: { field: string }[] };
    expect(p.errors.map((e) => e.field)).toEqual(
      expect.arrayContaining(["spec.pools.0.name", "spec.pools.0.selector.tiers.0"]),
    );
    expect((await stack.api("/policies/bad")).status).toBe(404);
    const unknown = workload("orphan", "default", { type: "service", placement: { policy: "nope" } });
    const u = await stack.api("/workloads", { method: "POST", headers: json, body: JSON.stringify(unknown) });
    expect(u.status).toBe(400);
    expect(((await u.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe("spec.placement.policy");
  });
});
