import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GantryUp, startGantryUp } from "../support/gantry-up.ts";
import { eventually } from "../support/stack.ts";

/**
 * examples/staging under `gantry up` on the shipped fleet, as its README runs it: notes-finetune is placed on the
 * on-prem H100s away from clinical-notes (us-east-1 only) and stages 400 GB over the 2 Gbit/s uplink first (~27
 * simulated minutes, 9 s here); notes-eval then finds the cached copy and starts without staging.
 */
const SECONDS_PER_HOUR = 20;

interface WorkloadBody {
  status: {
    phase: string;
    placements: { cluster: string; active: boolean; staging: { dataset: string; sizeGB: number }[] }[];
  };
}
interface ExplainBody {
  staging?: { cluster: string; items: { dataset: string }[] }[];
  decision: { assignments: { cluster: string }[]; estimatedCost: { egress: number } } | null;
}

describe("examples/staging under gantry up", () => {
  let up: GantryUp;
  beforeAll(async () => {
    up = await startGantryUp({ fleet: "examples/fleet.yaml", secondsPerHour: SECONDS_PER_HOUR, name: "staging" });
  });
  afterAll(async () => up?.stop());

  /** Every phase the workload shows until `until`, in order, polled on the API (faster than the CLI starts). */
  const phases = async (name: string, until: string): Promise<string[]> => {
    const seen: string[] = [];
    await eventually(
      async () => {
        const w = await up.api<WorkloadBody>(`/tenants/health/workloads/${name}`);
        if (seen.at(-1) !== w.status.phase) seen.push(w.status.phase);
        if (w.status.phase === "Failed") throw new Error(`${name} failed`);
        return w.status.phase === until ? true : undefined;
      },
      `${name} ${until}`,
      240_000,
    );
    return seen;
  };

  it("stages the first job's data, runs it, and caches the copy", async () => {
    const r = await up.gantry(["submit", "-f", "examples/staging/finetune.yaml"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/workload\/notes-finetune submitted: Placed — onprem-dc1×1/);
    expect(r.stdout).toMatch(/egress \$36\.00 \+ staging \$6\.40/);
    const seen = await phases("notes-finetune", "Succeeded");
    expect(seen).toEqual(expect.arrayContaining(["Staging", "Running", "Succeeded"]));
    expect(seen.indexOf("Staging")).toBeLessThan(seen.indexOf("Running"));
    expect(seen.indexOf("Running")).toBeLessThan(seen.indexOf("Succeeded"));
    const events = await up.api<{ items: { reason: string }[] }>("/tenants/health/workloads/notes-finetune/events");
    expect(events.items.map((e) => e.reason)).toEqual(expect.arrayContaining(["Placed", "Staging", "Running"]));

    const explained = await up.gantry(["-t", "health", "explain", "notes-finetune"]);
    expect(explained.stdout).toMatch(/staging: onprem-dc1: clinical-notes 400 GB at 2 Gbit\/s/);
    const described = await up.gantry(["-t", "health", "describe", "workload", "notes-finetune"]);
    expect(described.stdout).toMatch(/Staging: +onprem-dc1: clinical-notes 400 GB at 2 Gbit\/s/);
    const datasets = await up.gantry(["get", "datasets"]);
    expect(datasets.stdout).toMatch(/^NAME\s+SIZE GB\s+LOCATIONS\s+COPIES/);
    expect(datasets.stdout).toMatch(/clinical-notes\s+400\s+us-east-1\s+onprem-dc1 \(400 GB/);
  });

  it("places the second job on the new copy without staging", async () => {
    const r = await up.gantry(["submit", "-f", "examples/staging/evaluate.yaml"]);
    expect(r.stderr).toBe("");
    // With nothing to stage it may already run by the time the CLI has the decision.
    expect(r.stdout).toMatch(/workload\/notes-eval submitted: (Placed|Running) — onprem-dc1×1/);
    const seen = await phases("notes-eval", "Succeeded");
    expect(seen).not.toContain("Staging");
    expect(seen).toContain("Succeeded");
    const w = await up.api<WorkloadBody>("/tenants/health/workloads/notes-eval");
    expect(w.status.placements.map((p) => [p.cluster, p.staging])).toEqual([["onprem-dc1", []]]);
    const e = await up.api<ExplainBody>("/tenants/health/workloads/notes-eval/explain");
    expect(e.staging).toBeUndefined();
    expect(e.decision?.estimatedCost.egress).toBe(0);
    const events = await up.api<{ items: { reason: string }[] }>("/tenants/health/workloads/notes-eval/events");
    expect(events.items.map((ev) => ev.reason)).not.toContain("Staging");
  });
});
