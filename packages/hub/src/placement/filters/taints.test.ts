import type { TaintInput, TolerationInput } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { plan } from "../plan.ts";
import { aCluster, aFleet, aWorkload } from "../testing/builders.ts";
import { runFilter } from "../testing/harness.ts";

const tainted = aCluster({
  taints: [
    { key: "gpu", value: "reserved", effect: "NoSchedule" },
    { key: "soft", value: "x", effect: "PreferNoSchedule" },
  ],
});
const tolerating = (...tolerations: TolerationInput[]) => aWorkload({ placement: { tolerations } });
const rejection = (taints: TaintInput[], ...tolerations: TolerationInput[]) =>
  runFilter("taints", aCluster({ taints }), tolerating(...tolerations)).rejection;

describe("taint filter", () => {
  it("passes when every NoSchedule/NoExecute taint is tolerated (Exists, Equal, any effect)", () => {
    expect(runFilter("taints", tainted, tolerating({ key: "gpu", operator: "Exists" })).rejection).toBeUndefined();
    const equal = tolerating({ key: "gpu", value: "reserved", effect: "NoSchedule" });
    expect(runFilter("taints", tainted, equal).rejection).toBeUndefined();
  });

  it("rejects an untolerated taint, a wrong value or a wrong effect; ignores PreferNoSchedule", () => {
    expect(runFilter("taints", tainted, aWorkload()).rejection).toMatchObject({
      code: "taint_not_tolerated",
      message: "untolerated taint gpu=reserved:NoSchedule",
    });
    expect(runFilter("taints", tainted, tolerating({ key: "gpu", value: "other" })).rejection?.code).toBe(
      "taint_not_tolerated",
    );
    expect(rejection([{ key: "gpu", effect: "NoExecute" }], { key: "gpu", effect: "NoSchedule" })?.code).toBe(
      "taint_not_tolerated",
    );
    expect(rejection([{ key: "soft", effect: "PreferNoSchedule" }])).toBeUndefined();
  });

  it("compares values: a key alone is Equal to the empty value, not Exists (Kubernetes' default operator)", () => {
    expect(rejection([{ key: "gpu", value: "reserved" }], { key: "gpu" })?.message).toBe(
      "untolerated taint gpu=reserved:NoSchedule",
    );
    expect(rejection([{ key: "gpu" }], { key: "gpu" })).toBeUndefined();
    expect(rejection([{ key: "gpu" }], { key: "gpu", operator: "Equal", value: "" })).toBeUndefined();
  });

  it("tolerates everything with an empty key and Exists, and every effect of a key with Exists alone", () => {
    const taints: TaintInput[] = [
      { key: "a", value: "1", effect: "NoSchedule" },
      { key: "b", value: "2", effect: "NoExecute" },
    ];
    expect(rejection(taints, { operator: "Exists" })).toBeUndefined();
    expect(rejection(taints, { operator: "Exists", effect: "NoSchedule" })?.message).toBe(
      "untolerated taint b=2:NoExecute",
    );
    expect(rejection(taints, { key: "a", operator: "Exists" }, { key: "b", operator: "Exists" })).toBeUndefined();
  });

  it("names the first untolerated taint when several are not tolerated", () => {
    const taints: TaintInput[] = [
      { key: "a", value: "1", effect: "NoSchedule" },
      { key: "b", effect: "NoExecute" },
    ];
    expect(rejection(taints, { key: "a", value: "1" })?.message).toBe("untolerated taint b:NoExecute");
  });
});

describe("taint filter: one decision", () => {
  it("judges each distinct taint set on its own, and passes clusters without taints", () => {
    const fleet = aFleet([
      aCluster({ name: "a", taints: [{ key: "gpu", value: "reserved", effect: "NoSchedule" }] }),
      aCluster({ name: "b", taints: [{ key: "team", value: "x", effect: "NoExecute" }] }),
      aCluster({ name: "c" }),
      aCluster({ name: "d", taints: [{ key: "gpu", value: "reserved", effect: "NoSchedule" }] }),
      aCluster({ name: "e", taints: [{ key: "ok", effect: "NoSchedule" }] }),
    ]);
    const d = plan(fleet, aWorkload({ placement: { tolerations: [{ key: "ok", operator: "Exists" }] } }));
    expect(d.clusters.map((v) => [v.cluster, v.reasons[0]?.code, v.reasons[0]?.message])).toEqual([
      ["a", "taint_not_tolerated", "untolerated taint gpu=reserved:NoSchedule"],
      ["b", "taint_not_tolerated", "untolerated taint team=x:NoExecute"],
      ["c", "fits", expect.any(String)],
      ["d", "taint_not_tolerated", "untolerated taint gpu=reserved:NoSchedule"],
      ["e", "fits", expect.any(String)],
    ]);
    expect(runFilter("taints", tainted, aWorkload()).rejection).toEqual({
      code: "taint_not_tolerated",
      message: "untolerated taint gpu=reserved:NoSchedule",
      plugin: "taints",
      summary: "had untolerated taint",
    });
  });
});
