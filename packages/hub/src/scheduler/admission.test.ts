import { type CapacityReport, ClusterDescription, NodeGroup, Workload } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { HubError } from "../errors.ts";
import { createFleetView } from "../fleet/view.ts";
import type { ClusterRow, Store } from "../store/index.ts";
import { createAdmission } from "./admission.ts";

const T0 = new Date("2026-01-01T00:00:00Z");

/** A registered cluster that prices only `model` (a model without a price cannot run there, whatever the room). */
const aRow = (name: string, model: string): ClusterRow => ({
  name,
  state: "registered",
  registration: {},
  description: ClusterDescription.parse({ name, tier: "cloud", region: "r", pricing: { gpuHour: { [model]: 2 } } }),
  reported: null,
  agentId: null,
  driver: null,
  agentVersion: null,
  capacity: null,
  lastSeenAt: null,
  revision: 0,
  createdAt: T0,
  registeredAt: T0,
  revokedAt: null,
});

/** One node of `count` GPUs of `model`. */
const nodes = (model: string, count: number): CapacityReport => ({
  nodes: [NodeGroup.parse({ name: "n-0", gpu: { model, count, memoryGiB: 80 } })],
  accountedWorkloads: [],
  datasets: [],
});

const aJob = (name: string, gpus: number, models: string[] = []) =>
  Workload.parse({
    apiVersion: "gantry.dev/v1alpha1",
    kind: "Workload",
    metadata: { name, tenant: "team-a" },
    spec: { type: "job", replicas: 1, resources: { gpu: { count: gpus, models } } },
  });

/** checkFleet reads nothing from the store for workloads without data; the clock stands still. */
const setUp = () => {
  const clock = { now: () => T0 };
  const view = createFleetView({ clock, thresholds: { unknownAfterMs: 60_000, offlineAfterMs: 120_000 } });
  const admission = createAdmission({ store: {} as Store, clock, view });
  const join = (name: string, report: CapacityReport) => {
    view.upsert(aRow(name, report.nodes[0]!.gpu!.model));
    view.heartbeat(name, report);
  };
  const code = async (w: Workload) => {
    try {
      await admission.checkFleet(w);
      return "accepted";
    } catch (e) {
      return e instanceof HubError ? e.code : String(e);
    }
  };
  return { view, admission, join, code };
};

describe("admission's fleet check", () => {
  it("refuses a shape that fits no cluster even empty, every time, and accepts one that fits", async () => {
    const { join, code } = setUp();
    join("small", nodes("A100", 8));
    expect(await code(aJob("big", 16))).toBe("unsatisfiable");
    expect(await code(aJob("big-again", 16))).toBe("unsatisfiable");
    expect(await code(aJob("fits", 8))).toBe("accepted");
    expect(await code(aJob("fits-again", 8))).toBe("accepted");
  });

  it("sees a cluster registered a moment ago: its models and its room count at once, within the cache's lifetime", async () => {
    const { join, code } = setUp();
    join("a100s", nodes("A100", 8));
    expect(await code(aJob("h", 8, ["H100"]))).toBe("unknown_reference");
    expect(await code(aJob("wide", 16))).toBe("unsatisfiable");
    join("h100s", nodes("H100", 16));
    expect(await code(aJob("h", 8, ["H100"]))).toBe("accepted");
    expect(await code(aJob("wide", 16))).toBe("accepted");
  });

  it("forgets that a shape fit once the only cluster it fits on is removed", async () => {
    const { view, join, code } = setUp();
    join("small", nodes("A100", 8));
    join("large", nodes("A100", 16));
    expect(await code(aJob("wide", 16))).toBe("accepted");
    view.remove("large");
    expect(await code(aJob("wide-again", 16))).toBe("unsatisfiable");
  });

  it("sees a cluster's nodes grow or shrink, but is not rebuilt by usage alone", async () => {
    const { view, join, code } = setUp();
    join("c", nodes("A100", 8));
    expect(await code(aJob("wide", 16))).toBe("unsatisfiable");
    const before = view.membership();
    view.heartbeat("c", { ...nodes("A100", 8), nodes: [{ ...nodes("A100", 8).nodes[0]!, gpusUsed: 8 }] });
    expect(view.membership()).toBe(before);
    view.heartbeat("c", nodes("A100", 16));
    expect(await code(aJob("wide-again", 16))).toBe("accepted");
    view.heartbeat("c", nodes("A100", 8));
    expect(await code(aJob("wide-after", 16))).toBe("unsatisfiable");
  });
});
