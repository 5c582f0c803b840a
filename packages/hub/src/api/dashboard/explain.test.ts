import type { DecisionOmitted } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { omittedLine } from "../../store/stored-decision.ts";

/** The console's module is plain browser JavaScript: typed here by what the test reads. */
interface Explain {
  omittedText: (omitted: unknown) => string;
}
const explain = (await import(new URL("./explain.js", import.meta.url).href)) as Explain;

const omitted: DecisionOmitted = {
  clusters: 9_975,
  feasible: 4_979,
  filtered: [{ code: "gpu_fit", count: 4_996, example: "no node has 1 free A100" }],
};

describe("a stored decision's left-out verdicts in the console", () => {
  it("says how many clusters were left out, how many were feasible, and why the others were filtered", () => {
    expect(explain.omittedText(omitted)).toBe(
      "… and 9975 more clusters not kept in the stored decision: 4979 feasible but dearer than those shown; " +
        "4996 filtered (gpu_fit: e.g. no node has 1 free A100)",
    );
  });

  it("says what the CLI's explain says", () => {
    expect(explain.omittedText(omitted)).toBe(omittedLine(omitted));
  });

  it("reads a partial record without throwing", () => {
    expect(explain.omittedText({})).toBe(
      "… and 0 more clusters not kept in the stored decision: 0 feasible but dearer than those shown",
    );
  });
});
