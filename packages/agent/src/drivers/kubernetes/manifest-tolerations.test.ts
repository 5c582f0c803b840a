import { Toleration, type TolerationInput } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { podToleration } from "./manifest.ts";

const pod = (t: TolerationInput) => podToleration(Toleration.parse(t));

describe("a workload's tolerations on its pods", () => {
  it("writes the operator the workload meant: Equal by default, never widened to Exists", () => {
    expect(pod({ key: "gpu" })).toEqual({ key: "gpu", operator: "Equal" });
    expect(pod({ key: "gpu", value: "a100", effect: "NoSchedule" })).toEqual({
      key: "gpu",
      operator: "Equal",
      value: "a100",
      effect: "NoSchedule",
    });
    expect(pod({ key: "gpu", operator: "Exists" })).toEqual({ key: "gpu", operator: "Exists" });
  });

  it("keeps tolerate-everything and tolerationSeconds as core/v1 has them", () => {
    expect(pod({ operator: "Exists" })).toEqual({ operator: "Exists" });
    expect(
      pod({ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 60 }),
    ).toEqual({
      key: "node.kubernetes.io/unreachable",
      operator: "Exists",
      effect: "NoExecute",
      tolerationSeconds: 60,
    });
  });
});
