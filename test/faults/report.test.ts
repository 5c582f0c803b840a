import { describe, expect, it } from "vitest";
import { figuresTable, tableRows } from "./report.ts";
import type { ScenarioFigures } from "./support/figures.ts";

const aRow = (scenario: string, database: "postgres" | "pglite", recovery: number): ScenarioFigures => ({
  scenario,
  database,
  figures: { recovery_s: recovery, requests: 4 },
  lost: 0,
  doubleRuns: 0,
  notes: ["a | b"],
  at: "2026-12-01T00:00:00.000Z",
  loadAverage: 3.25,
});

const page = (table: string) =>
  `# Reliability\n\n<!-- faults:figures:start -->\nLast run: x\n\n${table}\n<!-- faults:figures:end -->\n`;

describe("the figures table", () => {
  it("writes one row per scenario and database, in the suite's order, figures and notes escaped", () => {
    const table = figuresTable([aRow("table-lock", "postgres", 1), aRow("cluster-loss", "pglite", 2.5)]);
    const lines = table.split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe("| cluster-loss | pglite | – | – | – | 2.5 | requests: 4 | 0 | 0 | 3.3 | a \\| b |");
    expect(lines[3]?.startsWith("| table-lock | postgres |")).toBe(true);
  });

  it("keeps the rows of scenarios that did not run this time, and replaces those that did", () => {
    const before = page(figuresTable([aRow("cluster-loss", "pglite", 2), aRow("table-lock", "postgres", 9)]));
    const kept = tableRows(before);
    expect([...kept.keys()]).toEqual(["cluster-loss | pglite", "table-lock | postgres"]);
    const after = figuresTable([aRow("table-lock", "postgres", 1)], kept).split("\n");
    expect(after).toHaveLength(4);
    expect(after[2]).toBe(kept.get("cluster-loss | pglite")?.line);
    expect(after[3]).toContain("| table-lock | postgres | – | – | – | 1 |");
  });

  it("finds no rows on a page without the markers", () => {
    expect(tableRows("# Reliability\n| a | b |\n").size).toBe(0);
  });
});
