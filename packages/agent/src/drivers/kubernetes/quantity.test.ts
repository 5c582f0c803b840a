import { describe, expect, it } from "vitest";
import { parseQuantity } from "./quantity.ts";

describe("parseQuantity", () => {
  it("reads CPU in millicores and cores", () => {
    expect(parseQuantity("3500m")).toBeCloseTo(3.5);
    expect(parseQuantity("96")).toBe(96);
  });
  it("reads binary and decimal memory suffixes", () => {
    expect(parseQuantity("16Gi")).toBe(16 * 2 ** 30);
    expect(parseQuantity("1048576Ki")).toBe(2 ** 30);
    expect(parseQuantity("2G")).toBe(2e9);
    expect(parseQuantity("1e3")).toBe(1000);
  });
  it("treats missing or malformed values as zero", () => {
    expect(parseQuantity(undefined)).toBe(0);
    expect(parseQuantity("lots")).toBe(0);
  });
});
