import { Workload, type WorkloadInput } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { type ActivePlacement, type FailoverSettings, failoverActions } from "./failover.ts";

const T0 = new Date("2026-12-01T00:00:00Z");
const at = (s: number) => new Date(T0.getTime() + s * 1000);

const workload = (spec: Partial<WorkloadInput["spec"]>): Workload =>
  Workload.parse({
    apiVersion: "gantry.dev/v1alpha1",
    kind: "Workload",
    metadata: { name: "w", tenant: "t" },
    spec: { type: "job", ...spec },
  });

const placement = (uid: string, cluster: string, manifest: Workload, phase = "Running"): ActivePlacement => ({
  uid,
  tenant: "t",
  workload: uid,
  cluster,
  workloadPhase: phase,
  manifest,
});

const settings = (
  now: number,
  heard: Record<string, number>,
  over: Partial<FailoverSettings> = {},
): FailoverSettings => ({
  now: at(now),
  lastHeard: (c) => (heard[c] === undefined ? null : at(heard[c]!)),
  listeningSince: at(0),
  fenceAfterMs: 10_000,
  stopGraceMs: 5_000,
  defaultAfterMs: 30_000,
  ...over,
});

describe("failoverActions", () => {
  const service = workload({ type: "service" });
  const restartable = workload({ restartable: true });
  const oneShot = workload({});

  it("moves services and restartable jobs, fails jobs that must not run twice, once the cluster is silent long enough", () => {
    const ps = [placement("s", "a", service), placement("r", "a", restartable), placement("j", "a", oneShot)];
    expect(failoverActions(ps, settings(129, { a: 100 }))).toEqual([]);
    const actions = failoverActions(ps, settings(130, { a: 100 }));
    expect(actions.map((a) => [a.uid, a.action, a.lost])).toEqual([
      ["s", "requeue", ["a"]],
      ["r", "requeue", ["a"]],
      ["j", "fail", ["a"]],
    ]);
    expect(actions.find((a) => a.uid === "j")?.message).toMatch(/^cluster_lost/);
  });

  it("never moves a job before a fenced agent has surely stopped it, whatever afterSeconds says", () => {
    const eager = workload({ restartable: true, failover: { afterSeconds: 1 } });
    const ps = [placement("e", "a", eager)];
    expect(failoverActions(ps, settings(114, { a: 100 }))).toEqual([]);
    expect(failoverActions(ps, settings(115, { a: 100 }))).toHaveLength(1);
  });

  it("counts silence only from when this hub started listening", () => {
    const ps = [placement("s", "a", service)];
    expect(failoverActions(ps, settings(200, { a: 0 }, { listeningSince: at(180) }))).toEqual([]);
    expect(failoverActions(ps, settings(210, { a: 0 }, { listeningSince: at(180) }))).toHaveLength(1);
  });

  it("names only the silent clusters of a split workload, and ignores workloads not yet placed or already done", () => {
    const ps = [
      placement("s", "a", service),
      placement("s", "b", service),
      placement("p", "a", service, "Pending"),
      placement("d", "a", oneShot, "Succeeded"),
    ];
    const actions = failoverActions(ps, settings(200, { a: 100, b: 199 }));
    expect(actions.map((a) => [a.uid, a.lost])).toEqual([["s", ["a"]]]);
  });
});
