import { randomUUID } from "node:crypto";
import {
  BurstPolicy,
  type BurstPolicyInput,
  Fleet,
  type FleetInput,
  Workload,
  type WorkloadInput,
} from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { compileFleet, priceCapacity } from "../placement/index.ts";
import type { WorkloadRow } from "../store/index.ts";
import { type BurstUsage, batchIsBetter, type PassInput, planPass } from "./pass.ts";

const NOW = new Date("2026-11-30T12:00:00Z");

// On-prem holds one 8-GPU job; the cloud holds four.
const fleet = Fleet.parse({
  clusters: [
    {
      name: "dc",
      tier: "onprem",
      region: "eu-central-1",
      pricing: { gpuHour: { A100: 1 } },
      nodes: [{ name: "n", gpu: { model: "A100", count: 8, memoryGiB: 80 } }],
    },
    {
      name: "cloud",
      tier: "cloud",
      region: "us-east-1",
      pricing: { gpuHour: { A100: 4 } },
      nodes: [{ name: "m", count: 4, gpu: { model: "A100", count: 8, memoryGiB: 80 } }],
    },
  ],
} satisfies FleetInput);

const policy = BurstPolicy.parse({
  apiVersion: "gantry.dev/v1alpha1",
  kind: "BurstPolicy",
  metadata: { name: "p" },
  spec: {
    pools: [
      { name: "onprem", selector: { tiers: ["onprem"] } },
      { name: "cloud", selector: { tiers: ["cloud"] } },
    ],
    burst: { afterWaitSeconds: 0 },
    caps: { maxBurstGpus: 8 },
  },
} satisfies BurstPolicyInput);

const row = (name: string, ageSeconds: number, tenant = "t"): WorkloadRow => {
  const manifest = Workload.parse({
    apiVersion: "gantry.dev/v1alpha1",
    kind: "Workload",
    metadata: { name, tenant },
    spec: {
      type: "job",
      durationHours: 1,
      resources: { gpu: { count: 8, models: ["A100"] } },
      placement: { policy: "p" },
    },
  } satisfies WorkloadInput);
  const createdAt = new Date(NOW.getTime() - ageSeconds * 1000);
  return {
    uid: randomUUID(),
    tenant,
    name,
    manifest,
    specHash: "",
    idempotencyKey: null,
    phase: "Pending",
    message: "",
    quarantine: null,
    generation: 0,
    priority: 0,
    decisionId: null,
    rv: 1,
    createdAt,
    updatedAt: createdAt,
    placedAt: null,
    policy: null,
    pool: null,
    poolNote: null,
    autoscaling: null,
    startedAt: null,
    finishedAt: null,
  };
};

/** A row whose stored manifest the engine cannot read (an old schema, a bad write): deciding it throws. */
const unreadable = (name: string, ageSeconds: number): WorkloadRow => {
  const r = row(name, ageSeconds);
  const { resources: _gone, ...spec } = r.manifest.spec;
  return { ...r, manifest: { ...r.manifest, spec } as unknown as Workload };
};

const input = (usage: BurstUsage = new Map()): PassInput => ({
  fleet,
  compiled: compileFleet(fleet),
  policies: [policy],
  usage,
  queuedGpus: new Map([["p", 24]]),
  now: NOW,
});

const summary = (plan: ReturnType<typeof planPass>) => ({
  placed: plan.placed.map((p) => `${p.row.name}@${p.outcome.pool}`),
  unplaced: plan.unplaced.map((p) => p.row.name),
});

describe("planPass", () => {
  const rows = [row("a", 30), row("b", 20), row("c", 10)];

  it("in queue order: the oldest takes on-prem, the next bursts up to the cap, the last waits", () => {
    expect(summary(planPass(rows, 0, input()))).toEqual({ placed: ["a@onprem", "b@cloud"], unplaced: ["c"] });
  });

  it("as a batch, re-deciding every round, still counts only committed bursts against the cap", () => {
    const plan = planPass(rows, 3, input());
    expect(plan.placed).toHaveLength(2);
    expect(plan.placed.filter((p) => p.outcome.pool === "cloud")).toHaveLength(1);
    expect(plan.unplaced).toHaveLength(1);
    expect(plan.unplaced[0]!.outcome.note ?? plan.unplaced[0]!.outcome.decision.summary).toMatch(/8/);
    // Each placement says it was decided in a batch, and after which workloads.
    expect(plan.placed[0]!.outcome.decision.summary).toMatch(
      /; decided in a batch of 3 waiting workloads, 1st in regret order$/,
    );
    expect(plan.placed[1]!.outcome.decision.summary).toMatch(
      new RegExp(`2nd in regret order \\(after ${plan.placed[0]!.row.name}\\)$`),
    );
  });

  it("starts from the burst usage it is given and leaves it untouched", () => {
    const usage: BurstUsage = new Map([["p", { burstGpusInUse: 8, burstSpendPerHour: 32, burstSpendToday: 0 }]]);
    expect(summary(planPass(rows, 0, input(usage)))).toEqual({ placed: ["a@onprem"], unplaced: ["b", "c"] });
    expect(summary(planPass(rows, 3, input(usage))).placed).toHaveLength(1);
    expect(usage.get("p")).toEqual({ burstGpusInUse: 8, burstSpendPerHour: 32, burstSpendToday: 0 });
  });

  it("prices capacity with the demand forecast it is given: an on-prem-only job expected next keeps dc free", () => {
    const job = (name: string, placement: WorkloadInput["spec"]["placement"], durationHours = 1) =>
      Workload.parse({
        apiVersion: "gantry.dev/v1alpha1",
        kind: "Workload",
        metadata: { name, tenant: "t" },
        spec: { type: "job", durationHours, resources: { gpu: { count: 8, models: ["A100"] } }, placement },
      });
    const flexible = { ...row("flex", 10), manifest: job("flex", {}) };
    const compiled = compileFleet(fleet);
    const base: PassInput = { fleet, compiled, policies: [], usage: new Map(), queuedGpus: new Map(), now: NOW };
    expect(planPass([flexible], 0, base).placed[0]!.outcome.decision.assignments[0]?.cluster).toBe("dc");
    // A 10-hour job that can only run on-prem is expected: left unplaced it would count twice its $80 on dc, so
    // taking dc now costs the forecast $80, more than the $24 the flexible job saves there ($56 more).
    const pinned = job("pinned", { tiers: ["onprem"] }, 10);
    const capacityPrices = priceCapacity(compiled, [], { samples: [{ workload: pinned, weight: 1 }] });
    const priced = planPass([flexible], 0, { ...base, capacityPrices }).placed[0]!.outcome.decision;
    expect(priced.assignments[0]?.cluster).toBe("cloud");
    expect(priced.margin).toMatchObject({ runnerUp: "dc", decidedBy: "headroom", usd: 56 });
  });

  it("keeps a batch only when it places all queue order placed, and more or for less", () => {
    const queue = planPass(rows, 0, input());
    expect(batchIsBetter(queue, queue)).toBe(false);
    const fewer = { placed: queue.placed.slice(1), unplaced: [], failed: [] };
    expect(batchIsBetter(fewer, queue)).toBe(false);
    const more = { placed: [...queue.placed, ...planPass([row("d", 5)], 0, input()).placed], unplaced: [], failed: [] };
    expect(batchIsBetter(more, queue)).toBe(true);
  });

  it.each([0, 3])("sets aside a workload whose decision throws and decides the others (batch of %i)", (batched) => {
    const bad = unreadable("bad", 40);
    const plan = planPass([bad, ...rows], batched, input());
    expect(plan.failed.map((f) => f.row.name)).toEqual(["bad"]);
    expect(plan.failed[0]!.error).toBeInstanceOf(Error);
    expect([...plan.placed, ...plan.unplaced].map((p) => p.row.name)).not.toContain("bad");
    expect(plan.placed).toHaveLength(2);
    expect(plan.unplaced).toHaveLength(1);
  });

  it.each([0, 2])(
    "decides two workloads of one name in two tenants as two, each on its own capacity (batch of %i)",
    (batched) => {
      const plan = planPass([row("same", 30, "t1"), row("same", 20, "t2")], batched, input());
      expect(plan.placed.map((p) => `${p.row.tenant}@${p.outcome.pool}`).sort()).toEqual(
        batched === 0
          ? ["t1@onprem", "t2@cloud"]
          : expect.arrayContaining([expect.stringMatching(/^t1@/), expect.stringMatching(/^t2@/)]),
      );
      expect(plan.placed.map((p) => p.outcome.pool).sort()).toEqual(["cloud", "onprem"]);
    },
  );
});
