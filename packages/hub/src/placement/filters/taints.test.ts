import { describe, expect, it } from "vitest";
import { aCluster, aWorkload } from "../testing/builders.ts";
import { runFilter } from "../testing/harness.ts";

const tainted = aCluster({
  taints: [
    { key: "gpu", value: "reserved", effect: "NoSchedule" },
    { key: "soft", value: "x", effect: "PreferNoSchedule" },
  ],
});

describe("taint filter", () => {
  it("passes when every NoSchedule/NoExecute taint is tolerated (Exists, Equal, any effect)", () => {
    expect(runFilter("taints", tainted, aWorkload({ placement: { tolerations: [{ key: "gpu" }] } })).rejection).toBe(
      undefined,
    );
    const equal = aWorkload({ placement: { tolerations: [{ key: "gpu", value: "reserved", effect: "NoSchedule" }] } });
    expect(runFilter("taints", tainted, equal).rejection).toBeUndefined();
  });
  it("rejects an untolerated taint, a wrong value or a wrong effect; ignores PreferNoSchedule", () => {
    expect(runFilter("taints", tainted, aWorkload()).rejection).toMatchObject({
      code: "taint_not_tolerated",
      message: "untolerated taint gpu=reserved:NoSchedule",
    });
    const wrongValue = aWorkload({ placement: { tolerations: [{ key: "gpu", value: "other" }] } });
    expect(runFilter("taints", tainted, wrongValue).rejection?.code).toBe("taint_not_tolerated");
    const noExecute = aCluster({ taints: [{ key: "gpu", effect: "NoExecute" }] });
    const wrongEffect = aWorkload({ placement: { tolerations: [{ key: "gpu", effect: "NoSchedule" }] } });
    expect(runFilter("taints", noExecute, wrongEffect).rejection?.code).toBe("taint_not_tolerated");
    const softOnly = aCluster({ taints: [{ key: "soft", effect: "PreferNoSchedule" }] });
    expect(runFilter("taints", softOnly, aWorkload()).rejection).toBeUndefined();
  });
});
