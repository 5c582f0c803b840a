import { describe, expect, it } from "vitest";
import { age, CliError, copiesText, parseFormat, render, stagingText, table, usd } from "./output.ts";

describe("table", () => {
  it("pads every column but the last to its widest cell", () => {
    expect(
      table(
        ["NAME", "GPUS", "PHASE"],
        [
          ["train", 16, "Running"],
          ["x", 1, "Pending"],
        ],
      ),
    ).toBe(["NAME    GPUS   PHASE", "train   16     Running", "x       1      Pending"].join("\n"));
  });

  it("cuts the last column to the width given, with an ellipsis", () => {
    const out = table(["NAME", "MESSAGE"], [["a", "x".repeat(40)]], 20);
    expect(out.split("\n")[1]).toBe(`a      ${"x".repeat(12)}…`);
    expect(out.split("\n").every((l) => l.length <= 20)).toBe(true);
  });

  it("prints only the header when there are no rows", () => {
    expect(table(["NAME", "AGE"], [])).toBe("NAME   AGE");
  });
});

describe("render", () => {
  const value = { items: [{ name: "a", gpus: 2 }] };
  it("prints JSON, YAML or the table", () => {
    expect(JSON.parse(render(value, "json", () => "T"))).toEqual(value);
    expect(render(value, "yaml", () => "T")).toBe("items:\n  - name: a\n    gpus: 2");
    expect(render(value, "table", () => "T")).toBe("T");
  });
});

describe("parseFormat", () => {
  it("accepts table, wide, json, yaml and name", () => {
    expect(["json", "yaml", "table", "wide", "name"].map(parseFormat)).toEqual([
      "json",
      "yaml",
      "table",
      "wide",
      "name",
    ]);
  });

  it("refuses anything else with a CLI error that names the value", () => {
    expect(() => parseFormat("xml")).toThrow(CliError);
    expect(() => parseFormat("xml")).toThrow('-o must be one of table, wide, json, yaml, name (got "xml")');
    expect(() => parseFormat("xml")).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});

describe("CliError", () => {
  it("exits 1 unless told otherwise", () => {
    expect(new CliError("x").exitCode).toBe(1);
    expect(new CliError("x", 2).exitCode).toBe(2);
  });
});

describe("age", () => {
  const now = Date.parse("2026-01-10T00:00:00Z");
  const before = (s: number) => new Date(now - s * 1000).toISOString();
  it("says seconds, minutes, hours or days, whichever reads best", () => {
    expect(age(before(5), now)).toBe("5s");
    expect(age(before(119), now)).toBe("119s");
    expect(age(before(120), now)).toBe("2m");
    expect(age(before(7199), now)).toBe("120m");
    expect(age(before(7200), now)).toBe("2h");
    expect(age(before(172800), now)).toBe("2d");
  });

  it("prints a dash for no time and zero for a time in the future", () => {
    expect(age(null, now)).toBe("-");
    expect(age(undefined, now)).toBe("-");
    expect(age(before(-30), now)).toBe("0s");
  });
});

describe("usd", () => {
  it("prints dollars with cents, or a dash when unknown", () => {
    expect(usd(3.456)).toBe("$3.46");
    expect(usd(0)).toBe("$0.00");
    expect(usd(undefined)).toBe("-");
    expect(usd(1234.5)).toBe("$1,234.50");
  });
});

describe("staging and dataset copies", () => {
  it("says what a cluster copies in, over which link, how long it takes and how far it is", () => {
    const plan = [{ dataset: "clinical-notes", sizeGB: 400, gbps: 2 }];
    expect(stagingText(plan)).toBe("clinical-notes 400 GB at 2 Gbit/s (~27m)");
    expect(stagingText([{ dataset: "c", sizeGB: 100, gbps: 10, shards: [0, 2] }], null)).toBe(
      "c 100 GB (shards 0,2) at 10 Gbit/s (~80s)",
    );
    expect(stagingText(plan, { copiedGB: 120.4, totalGB: 400, etaSeconds: 1_120 })).toBe(
      "clinical-notes 400 GB at 2 Gbit/s (~27m); 120/400 GB copied, 19m left",
    );
  });

  it("lists copies with their size and last use, and copies still arriving with their progress", () => {
    const now = Date.parse("2026-12-01T12:00:00Z");
    expect(
      copiesText(
        [
          { cluster: "onprem", state: "ready", sizeGB: 400, copiedGB: 400, lastUsedAt: "2026-12-01T11:00:00Z" },
          { cluster: "edge", state: "staging", sizeGB: 50, copiedGB: 12.6, shards: [1] },
        ],
        now,
      ),
    ).toBe("onprem (400 GB, used 60m ago), edge (staging 13/50 GB shards 1)");
    expect(copiesText([], now)).toBe("-");
  });
});
