/**
 * The contract every `ClusterDriver` keeps, as one vitest suite. A driver's own test file calls
 * `driverContract("simulated", makeHarness)`; the Kubernetes driver runs the same suite with its
 * own harness, so both drivers are held to the same behaviour.
 */
import { CapacityReport, ClusterDescription, type Placement } from "@gantry/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ClusterDriver } from "./driver.ts";

/** What a test asks for: `replicas` replicas of `gpus` GPUs each, at `generation`. */
export interface PlacementShape {
  /** Default 1. */
  replicas?: number;
  /** GPUs per replica; default 1. */
  gpus?: number;
  /** Default 1. */
  generation?: number;
}

/**
 * Everything the contract needs from one driver, fresh for each test.
 *
 * - `driver`: a driver for an empty cluster (no Gantry workloads) with at least 8 free GPUs of one
 *   model, 4 or more on one node; `start()` has NOT been called (the suite starts and closes it).
 * - `placement(name, shape)`: a long-running placement (a service) that this cluster can run right
 *   away: its GPU model, template and tenant are the harness's business. Every GPU it asks for must
 *   show up as `gpusUsed` on some node of `capacity()` once the driver has applied it.
 * - `close()`: optional; tears down what the harness started (fake API server, timers).
 */
export interface DriverHarness {
  driver: ClusterDriver;
  placement(name: string, shape?: PlacementShape): Placement;
  close?(): Promise<void>;
}

/** How long the suite waits for an asynchronous driver (watch events, informers) to catch up. */
const SETTLE_MS = 5_000;

const gpusUsed = (d: ClusterDriver): number =>
  d.capacity().nodes.reduce((n, node) => n + node.gpusUsed * node.count, 0);

const reported = async (d: ClusterDriver) =>
  (await d.statuses())
    .map((s) => ({ workload: s.workload, generation: s.generation }))
    .sort((a, b) => (a.workload < b.workload ? -1 : 1));

/** Register the driver contract suite for the driver `makeHarness` builds. */
export const driverContract = (name: string, makeHarness: () => Promise<DriverHarness>): void => {
  describe(`${name} driver contract`, () => {
    let h: DriverHarness;
    let d: ClusterDriver;
    let baseline: number;

    beforeEach(async () => {
      h = await makeHarness();
      d = h.driver;
      await d.start();
      baseline = gpusUsed(d);
    });
    afterEach(async () => {
      await d.close();
      await h.close?.();
    });

    const settle = (probe: () => unknown | Promise<unknown>) =>
      expect.poll(probe, { timeout: SETTLE_MS, interval: 20 });

    it("describes its cluster and reports capacity in the protocol's shapes", () => {
      expect(ClusterDescription.safeParse(d.describe()).success).toBe(true);
      const capacity = CapacityReport.parse(d.capacity());
      expect(capacity.nodes.length).toBeGreaterThan(0);
      expect(capacity.accountedWorkloads).toEqual([]);
    });

    it("reports nothing before it is given placements", async () => {
      expect(await d.statuses()).toEqual([]);
    });

    it("creates the placements it is given, and their statuses appear", async () => {
      await d.reconcile([h.placement("alpha"), h.placement("beta", { generation: 3 })]);
      await settle(() => reported(d)).toEqual([
        { workload: "alpha", generation: 1 },
        { workload: "beta", generation: 3 },
      ]);
      for (const s of await d.statuses()) {
        expect(["Pending", "Running"]).toContain(s.phase);
        expect(s.replicas).toBe(1);
      }
    });

    it("counts the GPUs of applied workloads as used on its nodes", async () => {
      await d.reconcile([h.placement("alpha", { replicas: 2, gpus: 2 })]);
      await settle(() => gpusUsed(d)).toBe(baseline + 4);
      await settle(async () => (await d.statuses())[0]?.readyReplicas).toBe(2);
    });

    it("deletes a placement that leaves the desired set and frees its capacity", async () => {
      const alpha = h.placement("alpha", { gpus: 2 });
      await d.reconcile([alpha, h.placement("beta", { gpus: 1 })]);
      await settle(() => gpusUsed(d)).toBe(baseline + 3);
      await d.reconcile([alpha]);
      await settle(() => reported(d)).toEqual([{ workload: "alpha", generation: 1 }]);
      await settle(() => gpusUsed(d)).toBe(baseline + 2);
      await d.reconcile([]);
      await settle(() => d.statuses()).toEqual([]);
      await settle(() => gpusUsed(d)).toBe(baseline);
    });

    it("replaces a placement when a new generation arrives", async () => {
      await d.reconcile([h.placement("alpha", { replicas: 1, gpus: 2, generation: 1 })]);
      await settle(() => gpusUsed(d)).toBe(baseline + 2);
      await d.reconcile([h.placement("alpha", { replicas: 2, gpus: 2, generation: 2 })]);
      await settle(() => reported(d)).toEqual([{ workload: "alpha", generation: 2 }]);
      await settle(async () => (await d.statuses())[0]?.replicas).toBe(2);
      await settle(() => gpusUsed(d)).toBe(baseline + 4);
    });

    it("changes nothing when given the same desired state twice", async () => {
      const desired = [h.placement("alpha", { gpus: 2 }), h.placement("beta")];
      await d.reconcile(desired);
      await settle(async () => (await d.statuses()).every((s) => s.readyReplicas === s.replicas)).toBe(true);
      const before = { statuses: await d.statuses(), capacity: d.capacity() };
      await d.reconcile(desired);
      expect(await d.statuses()).toEqual(before.statuses);
      expect(d.capacity()).toEqual(before.capacity);
    });

    it("accounts only for workloads it was given", async () => {
      await d.reconcile([h.placement("alpha")]);
      await settle(() => d.capacity().accountedWorkloads).toEqual([{ uid: h.placement("alpha").uid, generation: 1 }]);
      await d.reconcile([h.placement("beta", { generation: 2 })]);
      await settle(() => reported(d)).toEqual([{ workload: "beta", generation: 2 }]);
      await settle(() => d.capacity().accountedWorkloads).toEqual([
        { uid: h.placement("beta", { generation: 2 }).uid, generation: 2 },
      ]);
    });
  });
};
