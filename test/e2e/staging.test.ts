import type { FleetInput } from "@gantry/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aJob } from "../support/fleets.ts";
import { eventually, type Stack, startStack } from "../support/stack.ts";

/**
 * Data staging end to end: the cheap cluster lacks the data, the dear one holds it. One simulated hour lasts 2 real
 * seconds; 900 GB over 1 Gbit/s is two simulated hours to copy (~4 s here).
 */
const fleet: FleetInput = {
  clusters: [
    {
      name: "near",
      tier: "cloud",
      region: "eu-west-1",
      pricing: { gpuHour: { A100: 10 }, egressPerGB: 0.01 },
      nodes: [{ name: "a", count: 1, gpu: { model: "A100", count: 8, memoryGiB: 80 }, cpu: 64, memoryGiB: 512 }],
    },
    {
      name: "far",
      tier: "onprem",
      region: "us-east-1",
      bandwidthGbps: 1,
      cacheGB: 1_000,
      pricing: { gpuHour: { A100: 1 }, egressPerGB: 0.01 },
      nodes: [{ name: "b", count: 1, gpu: { model: "A100", count: 8, memoryGiB: 80 }, cpu: 64, memoryGiB: 512 }],
    },
  ],
  datasets: [
    { name: "corpus", sizeGB: 900, locations: ["near"] },
    { name: "other", sizeGB: 900, locations: ["near"] },
  ],
};

interface WorkloadBody {
  status: {
    phase: string;
    message: string;
    placements: { cluster: string; phase: string }[];
  };
}
interface DatasetBody {
  name: string;
  locations: string[];
  copies: { cluster: string; state: string; sizeGB: number; copiedGB: number }[];
}

const json = { "content-type": "application/json" };
const job = (name: string, data: string[]) =>
  aJob(name, {
    replicas: 1,
    gang: false,
    durationHours: 1,
    resources: { gpu: { count: 8, models: ["A100"] }, cpu: 8, memoryGiB: 64 },
    data,
  });

describe("data staging: a job placed away from its data", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ database: "pglite", fleet, secondsPerHour: 2 });
    await stack.readyClusters(2);
  });
  afterAll(async () => stack?.close());

  const workload = async (name: string) => (await (await stack.api(`/workloads/${name}`)).json()) as WorkloadBody;
  const datasets = async () => ((await (await stack.api("/datasets")).json()) as { items: DatasetBody[] }).items;
  const phases = async (name: string, until: string): Promise<string[]> => {
    const seen: string[] = [];
    await eventually(
      async () => {
        const w = await workload(name);
        if (seen.at(-1) !== w.status.phase) seen.push(w.status.phase);
        return w.status.phase === until ? true : undefined;
      },
      `${name} ${until}`,
      60_000,
    );
    return seen;
  };

  it("stages the data first, then runs, then succeeds; the copy becomes a cached location", async () => {
    expect(
      (await stack.api("/workloads", { method: "POST", headers: json, body: JSON.stringify(job("first", ["corpus"])) }))
        .status,
    ).toBe(201);
    const seen = await phases("first", "Succeeded");
    expect(seen).toEqual(expect.arrayContaining(["Staging", "Running", "Succeeded"]));
    expect(seen.indexOf("Staging")).toBeLessThan(seen.indexOf("Running"));
    expect((await workload("first")).status.placements.map((p) => p.cluster)).toEqual(["far"]);
    const events = (await (await stack.api("/workloads/first/events")).json()) as { items: { reason: string }[] };
    expect(events.items.map((e) => e.reason)).toEqual(expect.arrayContaining(["Placed", "Staging", "Running"]));
    const corpus = (await datasets()).find((d) => d.name === "corpus");
    expect(corpus?.copies).toEqual([
      expect.objectContaining({ cluster: "far", state: "ready", sizeGB: 900, copiedGB: 900 }),
    ]);
  });

  it("places a second job on the new copy without staging", async () => {
    const explain = async () =>
      (await (await stack.api("/workloads/second/explain")).json()) as { decision: { summary: string } | null };
    expect(
      (
        await stack.api("/workloads", {
          method: "POST",
          headers: json,
          body: JSON.stringify(job("second", ["corpus"])),
        })
      ).status,
    ).toBe(201);
    const seen = await phases("second", "Succeeded");
    expect(seen).not.toContain("Staging");
    expect((await workload("second")).status.placements.map((p) => p.cluster)).toEqual(["far"]);
    expect((await explain()).decision?.summary).toMatch(/far/);
  });

  it("evicts the least recently used copy no workload reads when the cache is full", async () => {
    expect(
      (await stack.api("/workloads", { method: "POST", headers: json, body: JSON.stringify(job("third", ["other"])) }))
        .status,
    ).toBe(201);
    await phases("third", "Succeeded");
    const all = await datasets();
    // far holds 1,000 GB: `other` came in, and `corpus`, read by nobody now, made room for it.
    expect(all.find((d) => d.name === "other")?.copies.map((c) => [c.cluster, c.state])).toEqual([["far", "ready"]]);
    expect(all.find((d) => d.name === "corpus")?.copies).toEqual([]);
  });
});
