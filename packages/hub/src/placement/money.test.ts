import { describe, expect, it } from "vitest";
import { signedUsd, toCents, usd } from "./money.ts";

describe("money", () => {
  it("prints dollars with two decimals", () => {
    expect(usd(3)).toBe("$3.00");
    expect(usd(1234.5)).toBe("$1234.50");
    expect(usd(0)).toBe("$0.00");
  });
  it("prints a signed difference with a real minus sign, and a plus for zero and above", () => {
    expect(signedUsd(-40)).toBe("\u2212$40.00");
    expect(signedUsd(0.9)).toBe("+$0.90");
    expect(signedUsd(0)).toBe("+$0.00");
  });
  it("rounds to the nearest whole cent, either sign", () => {
    expect(toCents(2.5)).toBe(250);
    expect(toCents(0.014)).toBe(1);
    expect(toCents(0.016)).toBe(2);
    expect(toCents(-0.016)).toBe(-2);
    expect(toCents(38.2)).toBe(3820);
  });
});
