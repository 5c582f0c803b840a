import { CapacityReport } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { capacityChanges } from "./capacity-change.ts";

const report = (gpusUsed: number, ready = true) =>
  CapacityReport.parse({ nodes: [{ name: "n-0", gpu: { model: "A100", count: 8, memoryGiB: 80 }, gpusUsed, ready }] });

describe("capacityChanges", () => {
  it("reports the first report and every change of what is taken or usable, not repeats", () => {
    const changed = capacityChanges();
    expect(changed("c", report(0))).toBe(true);
    expect(changed("c", report(0))).toBe(false);
    expect(changed("c", report(4))).toBe(true);
    expect(changed("c", report(4, false))).toBe(true);
    expect(changed("other", report(4, false))).toBe(true);
  });
});
