import { describe, expect, it } from "vitest";
import { closest, editDistance } from "./suggest.ts";

describe("suggestions", () => {
  it("counts typos, swaps, missing and extra letters", () => {
    expect(editDistance("A100", "A100")).toBe(0);
    expect(editDistance("A10O", "A100")).toBe(1);
    expect(editDistance("H10", "H100")).toBe(1);
    expect(editDistance("imagnet", "imagenet")).toBe(1);
    expect(editDistance("imaegnet", "imagenet")).toBe(1);
    expect(editDistance("abc", "xyz")).toBe(3);
  });
  it("suggests the nearest close candidate, and nothing when none is close", () => {
    expect(closest("h100", ["A100", "H100", "L4"])).toBe("H100");
    expect(closest("imagnet", ["imagenet", "coco"])).toBe("imagenet");
    expect(closest("B200", ["L4", "T4"])).toBeUndefined();
  });
});
