import { Budget } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { overBudget, startOfUtcDay, startOfUtcMonth } from "./budgets.ts";

const budget = Budget.parse({
  apiVersion: "gantry.dev/v1alpha1",
  kind: "Budget",
  metadata: { name: "vision" },
  spec: { perDay: 100, perMonth: 1000 },
});

describe("overBudget", () => {
  it("is silent within budget and without one", () => {
    expect(overBudget(budget, 99.99, 500)).toBeUndefined();
    expect(overBudget(undefined, 1e9, 1e9)).toBeUndefined();
  });
  it("names the tenant, the spend and the limit that was hit", () => {
    expect(overBudget(budget, 100, 500)).toMatch(/^tenant vision has spent \$100\.00 of its \$100\.00 daily budget/);
    expect(overBudget(budget, 10, 1000.5)).toMatch(/\$1000\.50 of its \$1000\.00 monthly budget/);
  });
  it("holds at the limit itself: spending all of it is spending it", () => {
    expect(overBudget(budget, 100, 0)).toMatch(/daily budget/);
    expect(overBudget(budget, 0, 1000)).toBe("tenant vision has spent $1000.00 of its $1000.00 monthly budget");
    expect(overBudget(budget, 0, 999.99)).toBeUndefined();
  });
});

describe("UTC periods", () => {
  it("start at midnight UTC and on the first of the month", () => {
    const t = new Date("2026-11-23T19:30:00+05:00");
    expect(startOfUtcDay(t).toISOString()).toBe("2026-11-23T00:00:00.000Z");
    expect(startOfUtcMonth(t).toISOString()).toBe("2026-11-01T00:00:00.000Z");
  });
});
