import { randomUUID } from "node:crypto";
import {
  BurstPolicy,
  type BurstPolicyInput,
  type Decision,
  Fleet,
  type FleetInput,
  Workload,
  type WorkloadInput,
} from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { compileFleet, priceCapacity } from "../placement/index.ts";
import type { WorkloadRow } from "../store/index.ts";
import {
  type BurstUsage,
  batchIsBetter,
  batchSize,
  batchWithinBudget,
  type PassInput,
  type PassPlan,
  planPass,
  planPassCooperatively,
} from "./pass.ts";
import { aWorkloadRow } from "./testing/rows.ts";

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
  return aWorkloadRow(manifest, { uid: randomUUID(), createdAt });
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

  /** Policy `p` with other triggers and caps (pools on-prem, then cloud). */
  const withSpec = (spec: Partial<BurstPolicyInput["spec"]>): BurstPolicy =>
    BurstPolicy.parse({ ...policy, spec: { ...policy.spec, caps: {}, ...spec } });
  const four = () => [row("a", 40), row("b", 30), row("c", 20), row("d", 10)];

  it("counts each burst's GPUs against the cap of the decisions after it", () => {
    // Cap 16: b bursts (0 + 8), c bursts (8 + 8 = 16), d would make 24.
    const plan = planPass(four(), 0, { ...input(), policies: [withSpec({ caps: { maxBurstGpus: 16 } })] });
    expect(summary(plan)).toEqual({ placed: ["a@onprem", "b@cloud", "c@cloud"], unplaced: ["d"] });
    expect(plan.unplaced[0]!.outcome.note).toBe(
      "held in the queue: waited 10 s for onprem; policy p allows cloud after 0 s, but burst GPU cap: 16 in use + 8 > max 16",
    );
  });

  it("counts each burst's hourly spend against the cap of the decisions after it", () => {
    // 8 GPUs × $4 = $32/h a burst: b and c make $64/h, d would make $96/h.
    const plan = planPass(four(), 0, { ...input(), policies: [withSpec({ caps: { maxBurstSpendPerHour: 64 } })] });
    expect(summary(plan)).toEqual({ placed: ["a@onprem", "b@cloud", "c@cloud"], unplaced: ["d"] });
    expect(plan.unplaced[0]!.outcome.note).toMatch(
      /burst spend cap: \$64\.00\/h running \+ \$32\.00\/h > max \$64\.00\/h$/,
    );
  });

  it("starts from the hourly and daily burst spend the policy already has", () => {
    const two = () => [row("a", 40), row("b", 30)];
    const usage = (over: Partial<{ burstSpendPerHour: number; burstSpendToday: number }>): BurstUsage =>
      new Map([["p", { burstGpusInUse: 0, burstSpendPerHour: 0, burstSpendToday: 0, ...over }]]);
    // $10/h running + $32/h > $40/h.
    const hourly = {
      ...input(usage({ burstSpendPerHour: 10 })),
      policies: [withSpec({ caps: { maxBurstSpendPerHour: 40 } })],
    };
    expect(summary(planPass(two(), 0, hourly))).toEqual({ placed: ["a@onprem"], unplaced: ["b"] });
    // $10 spent today + $32 estimated (one hour at $32/h) > $40.
    const daily = {
      ...input(usage({ burstSpendToday: 10 })),
      policies: [withSpec({ caps: { maxBurstSpendPerDay: 40 } })],
    };
    expect(summary(planPass(two(), 0, daily))).toEqual({ placed: ["a@onprem"], unplaced: ["b"] });
    expect(planPass(two(), 0, daily).unplaced[0]!.outcome.note).toMatch(/\$10\.00 spent today \+ \$32\.00 estimated/);
  });

  it("times the wait trigger from each workload's creation to the pass's clock", () => {
    const plan = planPass(four().slice(0, 3), 0, {
      ...input(),
      policies: [withSpec({ burst: { afterWaitSeconds: 25 } })],
    });
    // a (40 s) takes on-prem, b has waited 30 s ≥ 25 s, c only 20 s: 5 s to go.
    expect(summary(plan)).toEqual({ placed: ["a@onprem", "b@cloud"], unplaced: ["c"] });
    expect(plan.placed[1]!.outcome.note).toBe(
      "waited 30 s for onprem; policy p allows cloud after 25 s; burst spend today $0.00",
    );
    expect(plan.unplaced[0]!.outcome.retryInSeconds).toBe(5);
  });

  it("bursts on the GPUs queued under the workload's policy", () => {
    const queued = { ...input(), policies: [withSpec({ burst: { whenQueuedGpusAbove: 16 } })] };
    // 24 GPUs queued under p > 16; none counted for p without an entry.
    expect(summary(planPass(four().slice(0, 2), 0, queued))).toEqual({ placed: ["a@onprem", "b@cloud"], unplaced: [] });
    const none = { ...queued, queuedGpus: new Map() };
    expect(summary(planPass(four().slice(0, 2), 0, none))).toEqual({ placed: ["a@onprem"], unplaced: ["b"] });
  });

  it("decides on the capacity the fleet's reservations already hold, and leaves them untouched", () => {
    const held = Fleet.parse({
      ...fleet,
      reservations: [{ workload: "earlier", cluster: "dc", nodes: [{ node: "n", gpus: 8 }] }],
    });
    const plan = planPass(four().slice(0, 2), 0, { ...input(), fleet: held, compiled: compileFleet(held) });
    // dc is full: a bursts to the cloud and takes the whole 8-GPU cap; b waits.
    expect(summary(plan)).toEqual({ placed: ["a@cloud"], unplaced: ["b"] });
    expect(held.reservations).toHaveLength(1);
  });

  it("counts nothing against the caps for a workload that found no room", () => {
    const huge = row("huge", 50);
    // 64 GPUs: more than the whole fleet (8 on-prem + 32 cloud).
    huge.manifest = Workload.parse({
      ...huge.manifest,
      spec: { ...huge.manifest.spec, replicas: 8 },
    });
    const plan = planPass([huge, ...four().slice(0, 2)], 0, input());
    expect(summary(plan)).toEqual({ placed: ["a@onprem", "b@cloud"], unplaced: ["huge"] });
  });

  it("reports how long each decision took, the failed ones too", () => {
    const seconds: number[] = [];
    const started = performance.now();
    planPass([unreadable("bad", 50), ...rows], 0, { ...input(), observe: (s) => seconds.push(s) });
    const elapsed = (performance.now() - started) / 1000;
    expect(seconds).toHaveLength(4);
    for (const s of seconds) expect(s).toBeGreaterThanOrEqual(0);
    // Each decision's seconds are part of the pass's own: together no more than it took.
    expect(seconds.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(elapsed);
  });
});

/** An 8-GPU-free on-prem cluster at $1 and 32 cloud GPUs at $4: `n` one-GPU one-hour jobs, no policy. */
const ones = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const r = row(`w${i}`, 100 - i);
    const { policy: _none, ...placement } = r.manifest.spec.placement;
    return {
      ...r,
      manifest: Workload.parse({
        ...r.manifest,
        spec: { ...r.manifest.spec, placement, resources: { gpu: { count: 1, models: ["A100"] } } },
      }),
    };
  });
const plain = (): PassInput => ({ ...input(), policies: [] });

describe("planPass batches", () => {
  it("says where each placement stood in the batch, and after which workloads", () => {
    // 23 one-GPU jobs: all fit (8 on dc, 32 in the cloud).
    const plan = planPass(ones(23), 23, plain());
    expect(plan.placed).toHaveLength(23);
    const name = (i: number) => plan.placed[i]!.row.name;
    const tail = (i: number) =>
      plan.placed[i]!.outcome.decision.summary.split("; decided in a batch of 23 waiting workloads, ")[1];
    expect(tail(0)).toBe("1st in regret order");
    expect(tail(1)).toBe(`2nd in regret order (after ${name(0)})`);
    expect(tail(2)).toBe(`3rd in regret order (after ${name(0)}, ${name(1)})`);
    // The three before it, and "…" once there were more.
    expect(tail(3)).toBe(`4th in regret order (after ${name(0)}, ${name(1)}, ${name(2)})`);
    expect(tail(4)).toBe(`5th in regret order (after …, ${name(1)}, ${name(2)}, ${name(3)})`);
    expect(tail(10)).toBe(`11th in regret order (after …, ${name(7)}, ${name(8)}, ${name(9)})`);
    for (const [i, nth] of [
      [9, "10th"],
      [11, "12th"],
      [12, "13th"],
      [19, "20th"],
      [20, "21st"],
      [21, "22nd"],
      [22, "23rd"],
    ] as const)
      expect(tail(i)).toMatch(new RegExp(`^${nth} in regret order \\(after …, `));
  });

  it("prices a batch's capacity by the workloads waiting in it, from 20 of them", () => {
    const dcHeadroom = (p: PassPlan) =>
      p.placed[0]!.outcome.decision.clusters.find((c) => c.cluster === "dc")?.rankCost?.headroom;
    // 20 one-GPU jobs: 8 would run on dc at $1, 12 in the cloud at $4. A GPU taken on dc now sends one of them to
    // the cloud: $3.
    expect(dcHeadroom(planPass(ones(20), 20, plain()))).toBeCloseTo(3, 6);
    // 19 in the batch (the 20th after it, in queue order): the utilisation charge, $1 × 1 h × 8 GPUs × (1/8)³ / 3
    // = $0.0052 for the first GPU of an empty cluster, a cent once rounded.
    expect(dcHeadroom(planPass(ones(20), 19, plain()))).toBe(0.01);
  });
});

describe("batchSize", () => {
  it("bounds a batch by the waiting, the limit and about a million cluster decisions", () => {
    // n²/2 decisions × clusters ≈ 1e6: n = ⌊√(2e6 / clusters)⌋.
    expect(batchSize(1000, 50, 1000)).toBe(200);
    expect(batchSize(1000, 1000, 1000)).toBe(44);
    expect(batchSize(1000, 10_000, 1000)).toBe(14);
    // No clusters counts as one: ⌊√2e6⌋.
    expect(batchSize(5000, 0, 5000)).toBe(1414);
    expect(batchSize(30, 50, 200)).toBe(30);
    expect(batchSize(1000, 1, 100)).toBe(100);
  });
});

describe("planPassCooperatively", () => {
  it("makes planPass's plan, pausing after the batch and after every decision in queue order", async () => {
    // 12 one-GPU jobs, the first 5 as a batch: one pause after the batch, then one after each of the other 7.
    const rows = ones(12);
    let pauses = 0;
    const plan = await planPassCooperatively(rows, 5, plain(), () => {
      pauses++;
      return new Promise((r) => setImmediate(r));
    });
    expect(pauses).toBe(8);
    const where = (p: PassPlan) =>
      p.placed.map((x) => [x.row.name, x.outcome.decision.assignments.map((a) => `${a.cluster}×${a.replicas}`)]);
    expect(where(plan)).toEqual(where(planPass(rows, 5, plain())));
    expect(plan.placed).toHaveLength(12);
    // Without a batch, a pause after each decision and none before the first.
    pauses = 0;
    await planPassCooperatively(rows, 0, plain(), () => {
      pauses++;
      return undefined;
    });
    expect(pauses).toBe(12);
  });
});

describe("planPass retain", () => {
  it("keeps what retain makes of each decision, in the batch and in queue order, and plans the same", async () => {
    const rows = ones(12);
    const seen: number[] = [];
    const retain = (d: Decision): Decision => {
      seen.push(d.clusters.length);
      return { ...d, clusters: [] };
    };
    const plan = planPass(rows, 5, { ...plain(), retain });
    // One call per workload in the plan (5 batched, 7 in queue order), each given the whole explanation.
    expect(seen).toHaveLength(12);
    expect(seen.every((n) => n > 0)).toBe(true);
    expect([...plan.placed, ...plan.unplaced].every((p) => p.outcome.decision.clusters.length === 0)).toBe(true);
    const where = (p: PassPlan) =>
      p.placed.map((x) => [x.row.name, x.outcome.decision.assignments.map((a) => `${a.cluster}×${a.replicas}`)]);
    expect(where(plan)).toEqual(where(planPass(rows, 5, plain())));
  });
});

describe("batchWithinBudget", () => {
  it("holds as many as n(n+1)/2 ≈ n²/2 decisions of the measured speed fit in the budget, never more than given", () => {
    // 250 ms at 2 ms a decision: n²/2 ≤ 125, n = 15 (15² / 2 = 112.5; 16² / 2 = 128).
    expect(batchWithinBudget(44, 2, 250)).toBe(15);
    // 250 ms at 15 ms (10,000 clusters): n²/2 ≤ 16.7, n = 5.
    expect(batchWithinBudget(14, 15, 250)).toBe(5);
    // Fast decisions: the bound it was given stays.
    expect(batchWithinBudget(30, 0.01, 250)).toBe(30);
    // Slower than the budget for two: no batch (under 2 means queue order only).
    expect(batchWithinBudget(44, 200, 250)).toBe(1);
  });

  it("leaves the batch alone without a budget or a measurement", () => {
    expect(batchWithinBudget(44, 2, undefined)).toBe(44);
    expect(batchWithinBudget(44, undefined, 250)).toBe(44);
    expect(batchWithinBudget(44, 0, 250)).toBe(44);
  });
});

describe("batchIsBetter", () => {
  /** A plan placing the given workloads at the given estimated costs (USD). */
  const placing = (...placements: [WorkloadRow, number][]): PassPlan => ({
    placed: placements.map(([r, total]) => ({
      row: r,
      outcome: {
        pool: null,
        note: null,
        decision: {
          feasible: true,
          assignments: [],
          estimatedCost: { total, perHour: total, compute: total, egress: 0 },
          clusters: [],
          runnerUp: null,
          summary: "",
        },
      },
    })),
    unplaced: [],
    failed: [],
  });
  const [x, y] = [row("x", 10), row("y", 20)];

  it("keeps a batch that places the same workloads for less, not for the same or more", () => {
    const queue = placing([x, 20], [y, 30]);
    expect(batchIsBetter(placing([y, 30], [x, 10]), queue)).toBe(true);
    expect(batchIsBetter(placing([y, 31], [x, 20]), queue)).toBe(false);
    // Rounding noise is no saving.
    expect(batchIsBetter(placing([y, 30], [x, 20 - 1e-9]), queue)).toBe(false);
  });

  it("keeps a batch that places more even at a higher cost, never one that drops a workload", () => {
    expect(batchIsBetter(placing([x, 50], [y, 50]), placing([x, 10]))).toBe(true);
    expect(batchIsBetter(placing([y, 1]), placing([x, 10]))).toBe(false);
  });
});
