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
});
