import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GantryUp, startGantryUp } from "../support/gantry-up.ts";
import { REPO_ROOT } from "../support/processes.ts";
import { eventually } from "../support/stack.ts";

/** Real seconds per simulated hour: a simulated day is 72 s. */
const SECONDS_PER_HOUR = 3;
const HOUR_MS = 3_600_000;

/** Jobs spread over the day on the shipped fleet: gangs and single replicas, H100, A100 and L4, one reading data. */
const jobs = [
  { name: "day-pretrain", replicas: 1, gpus: 8, models: ["H100"], hours: 22, data: [] },
  { name: "day-finetune", replicas: 1, gpus: 4, models: ["A100"], hours: 12, data: [] },
  { name: "day-resnet", replicas: 2, gpus: 4, models: ["A100"], hours: 8, data: ["imagenet"] },
  { name: "day-eval", replicas: 1, gpus: 1, models: ["L4"], hours: 18, data: [] },
];

const manifest = (j: (typeof jobs)[number]) =>
  JSON.stringify({
    apiVersion: "gantry.dev/v1alpha1",
    kind: "Workload",
    metadata: { name: j.name, tenant: "sim" },
    spec: {
      type: "job",
      replicas: j.replicas,
      gang: j.replicas > 1,
      durationHours: j.hours,
      resources: { gpu: { count: j.gpus, models: j.models }, cpu: 8, memoryGiB: 32 },
      data: j.data,
      template: {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: j.name },
        spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox" }] } } },
      },
    },
  });

describe("gantry up --seconds-per-hour: the hub bills in simulated time", () => {
  let up: GantryUp;
  beforeAll(async () => {
    up = await startGantryUp({
      fleet: join(REPO_ROOT, "examples/fleet.yaml"),
      secondsPerHour: SECONDS_PER_HOUR,
      name: "day",
    });
  });
  afterAll(async () => up?.stop());

  it("after a simulated day, gantry costs matches the sum of the jobs' estimates within 5 %", async () => {
    const from = new Date((await up.workNow()).getTime() - HOUR_MS);
    for (const j of jobs) {
      const r = await up.gantry(["submit", "-f", "-"], manifest(j));
      expect(r.stderr).toBe("");
      expect(r.stdout).toContain(`workload/${j.name} submitted: Placed`);
    }
    const estimates = new Map<string, number>();
    for (const j of jobs) {
      const r = await up.gantry(["-t", "sim", "explain", j.name, "-o", "json"]);
      const e = JSON.parse(r.stdout) as { decision: { estimatedCost: { total: number } } };
      estimates.set(j.name, e.decision.estimatedCost.total);
    }
    const expected = [...estimates.values()].reduce((a, b) => a + b, 0);
    // The longest job is 22 simulated hours: 66 real seconds, plus a wide margin for a loaded machine.
    await eventually(
      async () => {
        const r = await up.gantry(["get", "workloads", "-A", "-o", "json"]);
        // A list comes as a Kubernetes `kind: List` document (what `apply -f` takes back).
        const { items } = JSON.parse(r.stdout) as {
          items: { metadata: { name: string }; status: { phase: string } }[];
        };
        const phases = jobs.map((j) => items.find((w) => w.metadata.name === j.name)?.status.phase);
        if (phases.some((p) => p === "Failed")) throw new Error(`a job failed: ${phases.join(", ")}`);
        return phases.every((p) => p === "Succeeded") ? true : undefined;
      },
      "every job Succeeded",
      240_000,
    );
    // A whole simulated day from the window's start (the jobs may have ended a little sooner).
    const end = await eventually(
      async () => {
        const now = await up.workNow();
        return now.getTime() - from.getTime() >= 24 * HOUR_MS ? now : undefined;
      },
      "a simulated day to pass",
      60_000,
    );
    expect(end.getTime() - from.getTime()).toBeGreaterThanOrEqual(24 * HOUR_MS);

    // The last stretch of each job is accrued by the next upkeep round (every 5 s): wait for it, then compare.
    const report = await eventually(
      async () => {
        const r = await up.gantry([
          "costs",
          "--group-by",
          "workload",
          "--from",
          from.toISOString(),
          "--to",
          new Date(end.getTime() + 24 * HOUR_MS).toISOString(),
          "-o",
          "json",
        ]);
        const body = JSON.parse(r.stdout) as { total: number; items: { key: string; total: number }[] };
        return Math.abs(body.total - expected) <= 0.05 * expected ? body : undefined;
      },
      `costs within 5 % of $${expected.toFixed(2)}`,
      60_000,
    );
    expect(Math.abs(report.total - expected) / expected).toBeLessThanOrEqual(0.05);
    // Each job too: billed simulated hours, not the real seconds it ran for.
    for (const [name, estimate] of estimates) {
      const billed = report.items.find((i) => i.key === name)?.total ?? 0;
      expect(
        Math.abs(billed - estimate) / estimate,
        `${name}: billed $${billed} vs estimate $${estimate}`,
      ).toBeLessThanOrEqual(0.05);
    }
  }, 400_000);
});
