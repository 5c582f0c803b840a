import type { BurstPolicyInput, FleetInput, WorkloadInput } from "@gantry/shared";
import { BurstPolicy, Fleet, Workload } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { type BurstContext, decideUnderPolicy, policyFor } from "./burst.ts";

const fleet = (onpremUsed: number): Fleet =>
  Fleet.parse({
    clusters: [
      {
        name: "dc",
        tier: "onprem",
        region: "eu-central-1",
        pricing: { gpuHour: { A100: 1 } },
        nodes: [{ name: "n", gpu: { model: "A100", count: 8, memoryGiB: 80 }, gpusUsed: onpremUsed }],
      },
      {
        name: "cloud",
        tier: "cloud",
        region: "us-east-1",
        spot: true,
        pricing: { gpuHour: { A100: 4 }, spotGpuHour: { A100: 1.5 } },
        nodes: [{ name: "m", count: 4, gpu: { model: "A100", count: 8, memoryGiB: 80 } }],
      },
    ],
  } satisfies FleetInput);

const policy = (over: Partial<BurstPolicyInput["spec"]> = {}): BurstPolicy =>
  BurstPolicy.parse({
    apiVersion: "gantry.dev/v1alpha1",
    kind: "BurstPolicy",
    metadata: { name: "p" },
    spec: {
      pools: [
        { name: "onprem", selector: { tiers: ["onprem"] } },
        { name: "spot", selector: { tiers: ["cloud"] }, capacity: "spot" },
        { name: "ondemand", selector: { tiers: ["cloud"] }, capacity: "on-demand" },
      ],
      burst: { afterWaitSeconds: 600 },
      ...over,
    },
  } satisfies BurstPolicyInput);

const svc = (gpus = 4, tenant = "t"): Workload =>
  Workload.parse({
    apiVersion: "gantry.dev/v1alpha1",
    kind: "Workload",
    metadata: { name: "w", tenant },
    spec: { type: "service", resources: { gpu: { count: gpus, models: ["A100"] } } },
  } satisfies WorkloadInput);

const ctx = (over: Partial<BurstContext> = {}): BurstContext => ({
  waitedSeconds: 0,
  queuedGpus: 0,
  burstGpusInUse: 0,
  burstSpendPerHour: 0,
  burstSpendToday: 0,
  ...over,
});

describe("decideUnderPolicy", () => {
  it("uses the preferred pool when it fits", () => {
    const d = decideUnderPolicy(fleet(0), svc(), policy(), ctx());
    expect(d.pool).toBe("onprem");
    expect(d.decision.assignments.map((a) => a.cluster)).toEqual(["dc"]);
  });

  it("waits for the preferred pool until a trigger fires, and says when it may burst", () => {
    const d = decideUnderPolicy(fleet(8), svc(), policy(), ctx({ waitedSeconds: 30 }));
    expect(d.pool).toBeNull();
    expect(d.decision.feasible).toBe(false);
    expect(d.note).toMatch(/waiting for onprem .*allows spot after 600 s/);
    expect(d.retryInSeconds).toBe(570);
  });

  it("bursts to spot after the wait trigger, explaining the wait and the spend", () => {
    const d = decideUnderPolicy(
      fleet(8),
      svc(),
      policy({ caps: { maxBurstSpendPerDay: 200 } }),
      ctx({ waitedSeconds: 612, burstSpendToday: 41 }),
    );
    expect(d.pool).toBe("spot");
    expect(d.decision.assignments[0]).toMatchObject({ cluster: "cloud", spot: true, pricePerGpuHour: 1.5 });
    expect(d.note).toBe(
      "waited 612 s for onprem; policy p allows spot after 600 s; burst spend today $41.00 of $200.00",
    );
  });

  it("bursts on utilisation and on queued demand too", () => {
    const util = policy({ burst: { whenUtilisationAbove: 0.9 } });
    expect(decideUnderPolicy(fleet(8), svc(), util, ctx()).pool).toBe("spot");
    expect(decideUnderPolicy(fleet(6), svc(), util, ctx()).pool).toBeNull();
    const queued = policy({ burst: { whenQueuedGpusAbove: 16 } });
    expect(decideUnderPolicy(fleet(8), svc(), queued, ctx({ queuedGpus: 17 })).pool).toBe("spot");
    expect(decideUnderPolicy(fleet(8), svc(), queued, ctx({ queuedGpus: 16 })).pool).toBeNull();
  });

  it("holds the burst at the GPU cap, the hourly spend cap and the daily budget", () => {
    const waited = ctx({ waitedSeconds: 601 });
    const gpus = decideUnderPolicy(fleet(8), svc(), policy({ caps: { maxBurstGpus: 8 } }), {
      ...waited,
      burstGpusInUse: 6,
    });
    expect(gpus.pool).toBeNull();
    expect(gpus.note).toMatch(/burst GPU cap: 6 in use \+ 4 > max 8/);
    const rate = decideUnderPolicy(fleet(8), svc(), policy({ caps: { maxBurstSpendPerHour: 10 } }), {
      ...waited,
      burstSpendPerHour: 6,
    });
    expect(rate.note).toMatch(/burst spend cap: \$6\.00\/h running \+ \$6\.00\/h > max \$10\.00\/h/);
    const day = decideUnderPolicy(fleet(8), svc(), policy({ caps: { maxBurstSpendPerDay: 5 } }), {
      ...waited,
      burstSpendToday: 4.5,
    });
    expect(day.note).toMatch(/daily burst budget: \$4\.50 spent today/);
  });

  it("keeps the pool order a rule: a dearer preferred pool wins while it fits, dollars decide inside a pool", () => {
    const dear = Fleet.parse({
      ...fleet(0),
      clusters: fleet(0).clusters.map((c) => (c.tier === "onprem" ? { ...c, pricing: { gpuHour: { A100: 9 } } } : c)),
    });
    const ordered = decideUnderPolicy(dear, svc(), policy(), ctx({ waitedSeconds: 9999 }));
    expect(ordered.pool).toBe("onprem");
    expect(ordered.decision.assignments[0]?.cluster).toBe("dc");
    // One pool holding both tiers: no tier order inside it, the cheaper cluster wins.
    const mixed = policy({ pools: [{ name: "any", selector: { tiers: ["onprem", "cloud"] } }], burst: undefined });
    const inside = decideUnderPolicy(dear, svc(), mixed, ctx());
    expect(inside.decision.assignments[0]?.cluster).toBe("cloud");
    expect(inside.decision.clusters.find((c) => c.cluster === "dc")?.rankCost?.preference).toBe(0);
  });

  it("moves on to the next pool when a burst pool has nothing that fits", () => {
    const noSpot = Fleet.parse({
      ...fleet(8),
      clusters: fleet(8).clusters.map((c) =>
        c.tier === "cloud" ? { ...c, pricing: { ...c.pricing, spotGpuHour: {} } } : c,
      ),
    });
    const d = decideUnderPolicy(noSpot, svc(), policy(), ctx({ waitedSeconds: 700 }));
    expect(d.pool).toBe("ondemand");
    expect(d.decision.assignments[0]).toMatchObject({ spot: false, pricePerGpuHour: 4 });
  });
});

describe("decideUnderPolicy: what it tells the queue", () => {
  it("names the preferred pool and the policy when it places there", () => {
    expect(decideUnderPolicy(fleet(0), svc(), policy(), ctx()).note).toBe("placed in preferred pool onprem (policy p)");
  });

  it("with one pool, waits for it and says why nothing fits there", () => {
    const only = policy({ pools: [{ name: "onprem", selector: { tiers: ["onprem"] } }] });
    const d = decideUnderPolicy(fleet(8), svc(), only, ctx({ waitedSeconds: 9999 }));
    expect(d.pool).toBeNull();
    expect(d.decision.feasible).toBe(false);
    expect(d.note).toBe(`waiting for onprem: ${d.decision.summary}`);
    expect(d.retryInSeconds).toBeUndefined();
  });

  it("without burst triggers, never leaves the preferred pool and names no retry", () => {
    // The schema refuses burst pools without triggers; the type allows the object, and it must not burst.
    const p = policy();
    const untriggered: BurstPolicy = { ...p, spec: { ...p.spec, burst: undefined } };
    const d = decideUnderPolicy(fleet(8), svc(), untriggered, ctx({ waitedSeconds: 9999 }));
    expect(d.pool).toBeNull();
    expect(d.note).toBe(`waiting for onprem (${d.decision.summary})`);
    expect(d.retryInSeconds).toBeUndefined();
  });

  it("names no retry when the trigger that has not fired is not a wait", () => {
    // 6 of 8 on-prem GPUs used: 75 %, under the 90 % trigger, and 4 do not fit in the 2 left.
    const d = decideUnderPolicy(fleet(6), svc(), policy({ burst: { whenUtilisationAbove: 0.9 } }), ctx());
    expect(d.pool).toBeNull();
    expect(d.note).toBe(`waiting for onprem (${d.decision.summary})`);
    expect(d.retryInSeconds).toBeUndefined();
  });

  it("fires each trigger at its threshold, and says which one fired", () => {
    // Waited exactly the 600 s: bursts. No daily cap: the note gives today's spend alone.
    const waited = decideUnderPolicy(fleet(8), svc(), policy(), ctx({ waitedSeconds: 600 }));
    expect(waited.pool).toBe("spot");
    expect(waited.note).toBe("waited 600 s for onprem; policy p allows spot after 600 s; burst spend today $0.00");
    // 6 of 8 GPUs used is 75 %: "at or above" 0.75 fires.
    const util = decideUnderPolicy(fleet(6), svc(), policy({ burst: { whenUtilisationAbove: 0.75 } }), ctx());
    expect(util.pool).toBe("spot");
    expect(util.note).toBe("onprem is 75% utilised; policy p allows spot at 75%; burst spend today $0.00");
    const queued = decideUnderPolicy(
      fleet(8),
      svc(),
      policy({ burst: { whenQueuedGpusAbove: 16 } }),
      ctx({ queuedGpus: 17, burstSpendToday: 2.5 }),
    );
    expect(queued.note).toBe("17 GPUs queued for onprem; policy p allows spot above 16; burst spend today $2.50");
  });

  it("allows a burst that brings usage exactly to a cap", () => {
    const waited = ctx({ waitedSeconds: 601 });
    // 4 in use + 4 = 8 = max 8.
    const gpus = decideUnderPolicy(fleet(8), svc(), policy({ caps: { maxBurstGpus: 8 } }), {
      ...waited,
      burstGpusInUse: 4,
    });
    expect(gpus.pool).toBe("spot");
    // Spot: 4 GPUs × $1.50 = $6/h; $4/h running + $6/h = $10/h = max.
    const rate = decideUnderPolicy(fleet(8), svc(), policy({ caps: { maxBurstSpendPerHour: 10 } }), {
      ...waited,
      burstSpendPerHour: 4,
    });
    expect(rate.pool).toBe("spot");
    // A service is estimated at one hour: $6; $4 spent today + $6 = $10 = the daily budget.
    const day = decideUnderPolicy(fleet(8), svc(), policy({ caps: { maxBurstSpendPerDay: 10 } }), {
      ...waited,
      burstSpendToday: 4,
    });
    expect(day.pool).toBe("spot");
    expect(day.note).toBe(
      "waited 601 s for onprem; policy p allows spot after 600 s; burst spend today $4.00 of $10.00",
    );
  });

  it("holds a capped burst as an unplaced decision that gives the trigger and the cap", () => {
    const d = decideUnderPolicy(fleet(8), svc(), policy({ caps: { maxBurstGpus: 8 } }), {
      ...ctx({ waitedSeconds: 601 }),
      burstGpusInUse: 6,
    });
    const why = "waited 601 s for onprem; policy p allows spot after 600 s, but burst GPU cap: 6 in use + 4 > max 8";
    expect(d.decision).toMatchObject({ feasible: false, assignments: [], summary: why });
    expect(d.note).toBe(`held in the queue: ${why}`);
    const day = decideUnderPolicy(fleet(8), svc(), policy({ caps: { maxBurstSpendPerDay: 5 } }), {
      ...ctx({ waitedSeconds: 601 }),
      burstSpendToday: 4.5,
    });
    expect(day.note).toBe(
      "held in the queue: waited 601 s for onprem; policy p allows spot after 600 s, but daily burst budget: $4.50 spent today + $6.00 estimated > max $5.00",
    );
  });

  it("when no burst pool fits either, lists every pool's refusal and keeps the last pool's decision", () => {
    const full = Fleet.parse({
      ...fleet(8),
      clusters: fleet(8).clusters.map((c) =>
        c.tier === "cloud" ? { ...c, nodes: c.nodes.map((n) => ({ ...n, gpusUsed: 8 })) } : c,
      ),
    });
    const d = decideUnderPolicy(full, svc(), policy(), ctx({ waitedSeconds: 700 }));
    expect(d.pool).toBeNull();
    expect(d.decision.feasible).toBe(false);
    expect(d.decision.summary).toMatch(/not in pool ondemand/);
    expect(d.note).toMatch(
      /^waited 700 s for onprem; policy p allows spot after 600 s, but nothing fits: spot: .*not in pool spot; ondemand: /,
    );
    expect(d.note.endsWith(`; ondemand: ${d.decision.summary}`)).toBe(true);
  });

  it("a spot pool refuses a cluster without a spot price, and any placement that is not spot", () => {
    const noSpot = Fleet.parse({
      ...fleet(8),
      clusters: fleet(8).clusters.map((c) =>
        c.tier === "cloud" ? { ...c, pricing: { ...c.pricing, spotGpuHour: {} } } : c,
      ),
    });
    const spotOnly = policy({ pools: [{ name: "spot", selector: { tiers: ["cloud"] }, capacity: "spot" }] });
    expect(decideUnderPolicy(noSpot, svc(), spotOnly, ctx()).note).toMatch(
      /^waiting for spot: .*no spot price for A100 here, and pool spot offers only spot capacity/,
    );
    // A CPU-only workload takes no GPU, so nothing of it runs on spot: a spot pool cannot hold it.
    const cpuFleet = Fleet.parse({
      clusters: [{ ...fleet(0).clusters[1]!, nodes: [{ name: "m", cpu: 64, memoryGiB: 256 }] }],
    });
    const cpuOnly = Workload.parse({ ...svc(), spec: { ...svc().spec, resources: { cpu: 1 } } });
    const d = decideUnderPolicy(cpuFleet, cpuOnly, spotOnly, ctx());
    expect(d.decision).toMatchObject({ feasible: false, assignments: [] });
    expect(d.note).toBe("waiting for spot: pool spot offers only spot capacity and none fits w");
  });

  it("an on-demand pool never uses spot and an any pool leaves spot to the workload", () => {
    const wantsSpot = Workload.parse({
      ...svc(),
      spec: { ...svc().spec, placement: { ...svc().spec.placement, spot: "preferred" } },
    });
    const onDemand = policy({
      pools: [
        { name: "onprem", selector: { tiers: ["onprem"] } },
        { name: "ondemand", selector: { tiers: ["cloud"] }, capacity: "on-demand" },
      ],
    });
    const od = decideUnderPolicy(fleet(8), wantsSpot, onDemand, ctx({ waitedSeconds: 601 }));
    expect(od.pool).toBe("ondemand");
    expect(od.decision.assignments[0]).toMatchObject({ cluster: "cloud", spot: false, pricePerGpuHour: 4 });
    const any = policy({ pools: [{ name: "cloud", selector: { tiers: ["cloud"] } }] });
    const anyPool = decideUnderPolicy(fleet(8), wantsSpot, any, ctx());
    expect(anyPool.decision.assignments[0]).toMatchObject({ cluster: "cloud", spot: true, pricePerGpuHour: 1.5 });
  });

  it("refuses a policy without pools", () => {
    const p = policy();
    const empty = { ...p, spec: { ...p.spec, pools: [] } };
    expect(() => decideUnderPolicy(fleet(0), svc(), empty, ctx())).toThrow("policy p has no pools");
  });
});

describe("policyFor", () => {
  const a = policy({ tenants: ["vision"] });
  const all = BurstPolicy.parse({ ...policy(), metadata: { name: "all" } });
  it("takes the policy a workload names, else one for its tenant", () => {
    const named = Workload.parse({
      ...svc(),
      spec: { ...svc().spec, placement: { ...svc().spec.placement, policy: "all" } },
    });
    expect(policyFor(named, [a, all])?.metadata.name).toBe("all");
    expect(policyFor(svc(4, "vision"), [a])?.metadata.name).toBe("p");
    expect(policyFor(svc(4, "other"), [a])).toBeUndefined();
    expect(policyFor(svc(4, "other"), [a, all])?.metadata.name).toBe("all");
  });
  it("a named policy wins over the tenant's, and a missing name governs nothing", () => {
    const naming = (name: string) =>
      Workload.parse({
        ...svc(4, "vision"),
        spec: { ...svc().spec, placement: { ...svc().spec.placement, policy: name } },
      });
    // Tenant vision alone would get `p` (first, and for vision).
    expect(policyFor(naming("all"), [a, all])?.metadata.name).toBe("all");
    expect(policyFor(naming("gone"), [a, all])).toBeUndefined();
  });
});
