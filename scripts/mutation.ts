/**
 * `pnpm mutation [GROUP|FILE ...]`: StrykerJS on the pure core, one run per group (or per file given), each with its
 * own incremental file so a later run re-tests only what changed, then the score of every file from the newest
 * report that holds it, written to docs/testing.md between the markers. Not in CI: hours on 2 cores from scratch.
 *
 * Groups: protocol, scheduler, fleet, placement. `pnpm mutation --table` only rewrites the table from the reports.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const REPORTS = join(ROOT, "reports/mutation");
const DOC = join(ROOT, "docs/testing.md");
const BEGIN = "<!-- mutation-scores:begin -->";
const END = "<!-- mutation-scores:end -->";

interface Group {
  mutate: string[];
  /** The unit tests that run against the group's mutants (coverage per test picks the ones that reach each). */
  tests: string[];
}

const GROUPS: Record<string, Group> = {
  protocol: {
    mutate: ["packages/shared/src/protocol/**/*.ts", "!packages/shared/src/protocol/**/*.test.ts"],
    tests: ["packages/shared/src/**/*.test.ts", "packages/hub/src/bus/**/*.test.ts"],
  },
  scheduler: {
    mutate: ["pass", "queue", "burst", "budgets"].map((f) => `packages/hub/src/scheduler/${f}.ts`),
    // The pure tests only: scheduler.test.ts and budget-holds.test.ts open a database per run, which made every
    // mutant cost seconds; the core has to be pinned by tests that need none.
    tests: ["pass", "burst", "queue", "budgets", "pools", "phase", "failover"].map(
      (f) => `packages/hub/src/scheduler/${f}.test.ts`,
    ),
  },
  fleet: {
    mutate: ["packages/hub/src/fleet/**/*.ts", "!packages/hub/src/fleet/**/*.test.ts"],
    tests: ["packages/hub/src/fleet/**/*.test.ts"],
  },
  placement: {
    mutate: [
      "packages/hub/src/placement/**/*.ts",
      "!packages/hub/src/placement/**/*.test.ts",
      "!packages/hub/src/placement/testing/**",
    ],
    tests: ["packages/hub/src/placement/**/*.test.ts"],
  },
};

const groupOf = (file: string): Group => {
  for (const g of Object.values(GROUPS)) if (file.startsWith(g.mutate[0]!.split("*")[0]!)) return g;
  if (file.startsWith("packages/hub/src/scheduler/")) return GROUPS.scheduler!;
  throw new Error(`${file} is not in a mutated group (${Object.keys(GROUPS).join(", ")})`);
};

const slug = (s: string) => s.replace(/[^a-zA-Z0-9]+/g, "_");

interface Incremental {
  files: Record<string, unknown>;
  testFiles?: Record<string, unknown>;
  [k: string]: unknown;
}

/**
 * A run named differently from the runs before it (a group after per-file runs, or a clean clone with the committed
 * reports) starts from the union of every incremental file here, newest last, so Stryker re-tests only mutants whose
 * code or covering tests changed since. Incremental results are keyed by file path and source, not by run.
 */
const seedIncremental = (file: string): void => {
  if (existsSync(file)) return;
  const sources = readdirSync(REPORTS)
    .filter((f) => f.endsWith(".incremental.json"))
    .map((f) => join(REPORTS, f))
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
  if (sources.length === 0) return;
  let merged: Incremental | undefined;
  for (const source of sources) {
    const r = JSON.parse(readFileSync(source, "utf8")) as Incremental;
    merged = merged
      ? { ...r, files: { ...merged.files, ...r.files }, testFiles: { ...merged.testFiles, ...r.testFiles } }
      : r;
  }
  writeFileSync(file, JSON.stringify(merged));
  console.log(`› ${file}: seeded from ${sources.length} earlier incremental report(s)`);
};

/** One Stryker run; its JSON report and incremental file are named after `name`. */
const run = (name: string, mutate: string[], tests: string[]): number => {
  mkdirSync(REPORTS, { recursive: true });
  seedIncremental(join(ROOT, "reports/mutation", `${slug(name)}.incremental.json`));
  const env = {
    ...process.env,
    STRYKER_JSON: join("reports/mutation", `${slug(name)}.json`),
    STRYKER_INCREMENTAL: join("reports/mutation", `${slug(name)}.incremental.json`),
    STRYKER_TESTS: tests.join(","),
    // Every surviving mutant re-runs each property covering it: a few dozen cases each, not hundreds.
    FC_RUNS: process.env.FC_RUNS ?? "25",
  };
  console.log(`› stryker: ${name}`);
  const r = spawnSync("pnpm", ["exec", "stryker", "run", "--mutate", mutate.join(",")], {
    cwd: ROOT,
    env,
    stdio: "inherit",
  });
  // In place, Stryker writes restored files back without their mode: the bin scripts lose their executable bit.
  const modes = spawnSync("git", ["diff", "--summary", "--", "packages"], { cwd: ROOT, encoding: "utf8" });
  for (const m of modes.stdout.matchAll(/mode change 100755 => 100644 (.+)$/gm)) chmodSync(join(ROOT, m[1]!), 0o755);
  const dirty = spawnSync("git", ["status", "--porcelain", "--", "packages"], { cwd: ROOT, encoding: "utf8" });
  if (dirty.status === 0 && dirty.stdout.trim() !== "")
    console.warn(`› files under packages/ differ from git after the run; check none is left mutated:\n${dirty.stdout}`);
  return r.status ?? 1;
};

interface Counts {
  killed: number;
  timeout: number;
  survived: number;
  noCoverage: number;
  errors: number;
  ignored: number;
}

interface ReportMutant {
  status: string;
  mutatorName: string;
  replacement?: string;
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
}

/**
 * Per file, the counts over every mutant of the reports made on the file's current source, the newest report's
 * status winning for a mutant several reports hold: a run limited to lines (`file.ts:1-186`) and one on the rest
 * add up to the whole file, and a re-run replaces what it re-tested. Reports on an older source do not count; a
 * file with none on its current source takes its newest report's counts (and should be re-run).
 */
const scores = (): Map<string, Counts> => {
  const out = new Map<string, Counts>();
  if (!existsSync(REPORTS)) return out;
  const reports = readdirSync(REPORTS)
    .filter((f) => f.endsWith(".json") && !f.endsWith(".incremental.json"))
    .map((f) => join(REPORTS, f))
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
  const onDisk = new Map<string, string | undefined>();
  const sourceOf = (file: string) => {
    if (!onDisk.has(file))
      onDisk.set(file, existsSync(join(ROOT, file)) ? readFileSync(join(ROOT, file), "utf8") : undefined);
    return onDisk.get(file);
  };
  const current = new Map<string, Map<string, string>>();
  const newest = new Map<string, ReportMutant[]>();
  for (const path of reports) {
    const report = JSON.parse(readFileSync(path, "utf8")) as {
      files: Record<string, { source: string; mutants: ReportMutant[] }>;
    };
    for (const [file, { source, mutants }] of Object.entries(report.files)) {
      newest.set(file, mutants);
      if (source !== sourceOf(file)) continue;
      const byMutant = current.get(file) ?? new Map<string, string>();
      current.set(file, byMutant);
      for (const m of mutants) {
        const { start, end } = m.location;
        byMutant.set(
          `${start.line}:${start.column}-${end.line}:${end.column} ${m.mutatorName} ${m.replacement ?? ""}`,
          m.status,
        );
      }
    }
  }
  for (const [file, mutants] of newest) {
    const statuses = current.has(file) ? [...current.get(file)!.values()] : mutants.map((m) => m.status);
    const c = { killed: 0, timeout: 0, survived: 0, noCoverage: 0, errors: 0, ignored: 0 };
    for (const status of statuses) {
      if (status === "Killed") c.killed++;
      else if (status === "Timeout") c.timeout++;
      else if (status === "Survived") c.survived++;
      else if (status === "NoCoverage") c.noCoverage++;
      else if (status === "Ignored") c.ignored++;
      else c.errors++;
    }
    out.set(file, c);
  }
  return out;
};

/** Stryker's mutation score: detected (killed or timed out) over valid mutants (detected, survived, no coverage). */
const score = (c: Counts): number | undefined => {
  const valid = c.killed + c.timeout + c.survived + c.noCoverage;
  return valid === 0 ? undefined : (100 * (c.killed + c.timeout)) / valid;
};

/** The counts of the table already in docs/testing.md, per file: what files without a report here keep. */
const committed = (doc: string): Map<string, Counts> => {
  const out = new Map<string, Counts>();
  const row = /^\| `([^`]+)` \| [^|]+ \| (\d+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|$/gm;
  for (const m of doc.matchAll(row)) {
    const [killed, timeout, survived, noCoverage, ignored] = m.slice(2, 7).map(Number) as [
      number,
      number,
      number,
      number,
      number,
    ];
    out.set(m[1]!, { killed, timeout, survived, noCoverage, errors: 0, ignored });
  }
  return out;
};

const table = (previous: Map<string, Counts>): string => {
  // A run that scored some files replaces their rows; the other files keep the counts of the committed table.
  const merged = new Map<string, Counts>(previous);
  for (const [file, c] of scores()) merged.set(file, c);
  const rows = [...merged].sort(([a], [b]) => a.localeCompare(b));
  const lines = [
    "| file | score | killed | timeout | survived | no coverage | ignored (static) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const [file, c] of rows) {
    const s = score(c);
    const text = s === undefined ? "n/a" : `${s.toFixed(1)} %${s < 85 ? " ✗" : ""}`;
    lines.push(
      `| \`${file}\` | ${text} | ${c.killed} | ${c.timeout} | ${c.survived} | ${c.noCoverage} | ${c.ignored} |`,
    );
  }
  const total = rows.reduce<Counts>(
    (t, [, c]) => ({
      killed: t.killed + c.killed,
      timeout: t.timeout + c.timeout,
      survived: t.survived + c.survived,
      noCoverage: t.noCoverage + c.noCoverage,
      errors: t.errors + c.errors,
      ignored: t.ignored + c.ignored,
    }),
    { killed: 0, timeout: 0, survived: 0, noCoverage: 0, errors: 0, ignored: 0 },
  );
  const all = score(total);
  lines.push(
    `| **all ${rows.length} files** | ${all === undefined ? "n/a" : `${all.toFixed(1)} %`} | ${total.killed} | ${total.timeout} | ${total.survived} | ${total.noCoverage} | ${total.ignored} |`,
  );
  return lines.join("\n");
};

const writeTable = (): void => {
  // The reports are not committed (~10 MB of JSON): a clean clone has none until a run writes them, and an empty
  // table must not replace the committed one.
  if (scores().size === 0) {
    console.log(`› no reports in ${REPORTS}: docs/testing.md left as it is`);
    return;
  }
  const doc = readFileSync(DOC, "utf8");
  const from = doc.indexOf(BEGIN);
  const to = doc.indexOf(END);
  if (from < 0 || to < from) throw new Error(`${DOC} has no ${BEGIN} … ${END} markers`);
  writeFileSync(
    DOC,
    `${doc.slice(0, from + BEGIN.length)}\n${table(committed(doc.slice(from, to)))}\n${doc.slice(to)}`,
  );
  console.log(`› scores written to docs/testing.md`);
};

const main = (args: string[]): number => {
  if (args.includes("--table")) {
    writeTable();
    return 0;
  }
  const targets = args.length === 0 ? Object.keys(GROUPS) : args;
  let status = 0;
  // Files of one group given together are one run: one dry run of the group's tests instead of one per file.
  const files = new Map<Group, string[]>();
  for (const t of targets) {
    const group = GROUPS[t];
    if (group) {
      const r = run(t, group.mutate, group.tests);
      if (r !== 0) status = r;
      writeTable();
    } else files.set(groupOf(t), [...(files.get(groupOf(t)) ?? []), t]);
  }
  for (const [group, list] of files) {
    const name = list.length === 1 ? list[0]! : `${list[0]}+${list.length - 1}`;
    const r = run(name, list, group.tests);
    if (r !== 0) status = r;
    writeTable();
  }
  return status;
};

process.exitCode = main(process.argv.slice(2));
