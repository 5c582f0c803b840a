import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../support/processes.ts";
import { FIGURES_DIR, type ScenarioFigures } from "./support/figures.ts";

const DOC = join(REPO_ROOT, "docs/reliability.md");
const START = "<!-- faults:figures:start -->";
const END = "<!-- faults:figures:end -->";

/** Scenario order in the table (the files' own order of appearance otherwise). */
const ORDER = [
  "cluster-loss",
  "agent-partition-proxy",
  "agent-partition-sigstop",
  "flapping-cluster",
  "leader-failover",
  "racing-placements",
  "hub-restart",
  "agent-restart",
  "replay",
  "nats-restart",
  "pg-terminate",
  "db-unreachable-cut",
  "db-unreachable-blackhole",
  "clock-skew",
  "reconnect-storm",
];

/** Scenarios that need PostgreSQL: PGlite runs inside the one hub process (no replicas, no connection to cut). */
const POSTGRES_ONLY = [
  "leader-failover",
  "racing-placements",
  "pg-terminate",
  "db-unreachable-cut",
  "db-unreachable-blackhole",
];

const cell = (v: number | null | undefined): string => (v === null || v === undefined ? "–" : String(v));

/** The figures table, one row per scenario and database, from the JSON files the scenarios wrote. */
export const figuresTable = (rows: ScenarioFigures[]): string => {
  const keys = ["detection_s", "fence_s", "failover_s", "recovery_s"];
  const rank = (s: string) => (ORDER.indexOf(s) === -1 ? ORDER.length : ORDER.indexOf(s));
  const sorted = [...rows].sort(
    (a, b) =>
      rank(a.scenario) - rank(b.scenario) ||
      a.scenario.localeCompare(b.scenario) ||
      a.database.localeCompare(b.database),
  );
  const lines = [
    "| scenario | database | detection s | fence s | failover s | recovery s | other figures | lost | ran twice | load avg | notes |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of sorted) {
    if (r.figures.not_applicable !== undefined) {
      lines.push(`| ${r.scenario} | ${r.database} | – | – | – | – | – | – | – | – | ${r.notes.join(" ")} |`);
      continue;
    }
    const other = Object.entries(r.figures)
      .filter(([k]) => !keys.includes(k))
      .map(([k, v]) => `${k.replaceAll("_", " ")}: ${cell(v)}`)
      .join("; ");
    lines.push(
      `| ${r.scenario} | ${r.database} | ${keys.map((k) => cell(r.figures[k])).join(" | ")} | ${other || "–"} | ${r.lost} | ${r.doubleRuns} | ${r.loadAverage.toFixed(1)} | ${r.notes.join(" ").replaceAll("|", "\\|") || "–"} |`,
    );
  }
  return lines.join("\n");
};

/** Rewrite the generated part of docs/reliability.md (between its markers) from the figures on disk. */
export const writeReport = (run: { wallSeconds: number; passed: boolean; args: string[] }): void => {
  const rows: ScenarioFigures[] = existsSync(FIGURES_DIR)
    ? readdirSync(FIGURES_DIR)
        .filter((f) => f.endsWith(".json"))
        .map((f) => JSON.parse(readFileSync(join(FIGURES_DIR, f), "utf8")) as ScenarioFigures)
    : [];
  for (const scenario of POSTGRES_ONLY) {
    if (!rows.some((r) => r.scenario === scenario)) continue;
    rows.push({
      scenario,
      database: "pglite",
      figures: { not_applicable: null },
      lost: 0,
      doubleRuns: 0,
      notes: ["not applicable: PGlite is embedded in the one hub process (no second replica, no connection to cut)"],
      at: "",
      loadAverage: 0,
    });
  }
  const generated = [
    START,
    `Last run: ${new Date().toISOString()} — \`pnpm faults${run.args.length > 0 ? ` ${run.args.join(" ")}` : ""}\`, ${run.wallSeconds} s wall time${run.args.length > 0 ? " (rows of other files are from earlier runs)" : ""}, ${run.passed ? "all scenarios passed" : "**some scenarios failed** (see the run's output)"}; ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(1)} at the end (the machine is shared: figures are provisional).`,
    "",
    figuresTable(rows),
    END,
  ].join("\n");
  const doc = existsSync(DOC) ? readFileSync(DOC, "utf8") : `# Reliability\n\n${START}\n${END}\n`;
  const at = doc.indexOf(START);
  const end = doc.indexOf(END);
  const next =
    at === -1 || end === -1
      ? `${doc.trimEnd()}\n\n${generated}\n`
      : `${doc.slice(0, at)}${generated}${doc.slice(end + END.length)}`;
  writeFileSync(DOC, next);
};
