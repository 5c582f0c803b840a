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
  "table-lock",
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
  "table-lock",
];

const cell = (v: number | null | undefined): string => (v === null || v === undefined ? "–" : String(v));

const HEADER = [
  "| scenario | database | detection s | fence s | failover s | recovery s | other figures | lost | ran twice | load avg | notes |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
];

/** One table row of a scenario's figures. */
const rowLine = (r: ScenarioFigures): string => {
  if (r.figures.not_applicable !== undefined) {
    return `| ${r.scenario} | ${r.database} | – | – | – | – | – | – | – | – | ${r.notes.join(" ")} |`;
  }
  const keys = ["detection_s", "fence_s", "failover_s", "recovery_s"];
  const other = Object.entries(r.figures)
    .filter(([k]) => !keys.includes(k))
    .map(([k, v]) => `${k.replaceAll("_", " ")}: ${cell(v)}`)
    .join("; ");
  return `| ${r.scenario} | ${r.database} | ${keys.map((k) => cell(r.figures[k])).join(" | ")} | ${other || "–"} | ${r.lost} | ${r.doubleRuns} | ${r.loadAverage.toFixed(1)} | ${r.notes.join(" ").replaceAll("|", "\\|") || "–"} |`;
};

const rowKey = (scenario: string, database: string) => `${scenario} | ${database}`;

/**
 * The rows of the figures table a page already holds, by scenario and database. A run of some files keeps the
 * other rows from these: their JSON files are only on the machine that ran them (.gantry is not committed).
 */
export const tableRows = (doc: string): Map<string, { scenario: string; database: string; line: string }> => {
  const rows = new Map<string, { scenario: string; database: string; line: string }>();
  const at = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (at === -1 || end === -1) return rows;
  for (const line of doc.slice(at, end).split("\n")) {
    if (!line.startsWith("| ") || HEADER.includes(line)) continue;
    const [scenario, database] = line.slice(2).split(" | ");
    if (scenario && database) rows.set(rowKey(scenario, database), { scenario, database, line });
  }
  return rows;
};

/**
 * The figures table, one row per scenario and database, from the JSON files the scenarios wrote; `kept` rows (from
 * the page as it was) stand for scenarios that have no file.
 */
export const figuresTable = (rows: ScenarioFigures[], kept: ReturnType<typeof tableRows> = new Map()): string => {
  const rank = (s: string) => (ORDER.indexOf(s) === -1 ? ORDER.length : ORDER.indexOf(s));
  const all = new Map([...kept]);
  for (const r of rows) all.set(rowKey(r.scenario, r.database), { ...r, line: rowLine(r) });
  const sorted = [...all.values()].sort(
    (a, b) =>
      rank(a.scenario) - rank(b.scenario) ||
      a.scenario.localeCompare(b.scenario) ||
      a.database.localeCompare(b.database),
  );
  return [...HEADER, ...sorted.map((r) => r.line)].join("\n");
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
  const doc = existsSync(DOC) ? readFileSync(DOC, "utf8") : `# Reliability\n\n${START}\n${END}\n`;
  // A full run starts from a clean table; a run of some files keeps the rows it did not produce.
  const kept = run.args.length > 0 ? tableRows(doc) : new Map();
  // ...and says when the last full run was (the kept rows' figures are mostly from it).
  const full = run.args.length > 0 ? /^Last (?:full )?run: (.* — `pnpm faults`, .*)$/m.exec(doc)?.[1] : undefined;
  const generated = [
    START,
    ...(full ? [`Last full run: ${full}`, ""] : []),
    `Last run: ${new Date().toISOString()} — \`pnpm faults${run.args.length > 0 ? ` ${run.args.join(" ")}` : ""}\`, ${run.wallSeconds} s wall time${run.args.length > 0 ? " (rows of other files are from earlier runs)" : ""}, ${run.passed ? "all scenarios passed" : "**some scenarios failed** (see the run's output)"}; ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(1)} at the end (the machine is shared: figures are provisional).`,
    "",
    figuresTable(rows, kept),
    END,
  ].join("\n");
  const at = doc.indexOf(START);
  const end = doc.indexOf(END);
  const next =
    at === -1 || end === -1
      ? `${doc.trimEnd()}\n\n${generated}\n`
      : `${doc.slice(0, at)}${generated}${doc.slice(end + END.length)}`;
  writeFileSync(DOC, next);
};
