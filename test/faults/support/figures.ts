import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../support/processes.ts";

export const FIGURES_DIR = join(REPO_ROOT, ".gantry/faults/figures");

/** One scenario's result on one database: what `pnpm faults` puts in docs/reliability.md. */
export interface ScenarioFigures {
  scenario: string;
  database: "postgres" | "pglite";
  /** Seconds (or counts, as named); null when the scenario could not measure it. */
  figures: Record<string, number | null>;
  /** Accepted workloads lost (gone, replaced, or never reaching an expected phase). */
  lost: number;
  /** Pairs of intervals of one job running in two places at once. */
  doubleRuns: number;
  notes: string[];
  at: string;
  loadAverage: number;
}

/** Keep a scenario's figures for the report (one JSON file per scenario and database). */
export const writeFigures = (f: Omit<ScenarioFigures, "at" | "loadAverage">): void => {
  mkdirSync(FIGURES_DIR, { recursive: true });
  const full: ScenarioFigures = { ...f, at: new Date().toISOString(), loadAverage: loadavg()[0] ?? 0 };
  writeFileSync(join(FIGURES_DIR, `${f.scenario}--${f.database}.json`), `${JSON.stringify(full, null, 2)}\n`);
};

/** Milliseconds to seconds with one decimal, for the table. */
export const seconds = (ms: number | undefined | null): number | null =>
  ms === undefined || ms === null || !Number.isFinite(ms) ? null : Math.round(ms / 100) / 10;
