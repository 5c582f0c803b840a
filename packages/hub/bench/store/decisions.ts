/**
 * `pnpm bench --only store:decisions`: what one placement's decision row costs PostgreSQL, stored whole (every
 * cluster's verdict, as before issue 12's fix) and in its stored form (`storedDecision`), on the fleet benchmark's
 * clusters. The two are written interleaved in one run, so their ratio holds even on a busy machine.
 */
import { randomUUID } from "node:crypto";
import { Workload } from "@gantry/shared";
import { compileFleet, planOn } from "../../src/placement/index.ts";
import { decisions } from "../../src/store/schema.ts";
import { storedDecision } from "../../src/store/stored-decision.ts";
import { median, percentile } from "../fleet/proc.ts";
import { aJob, benchFleet } from "../fleet/suite.ts";
import { withScratchDatabase } from "./scratch.ts";

export interface DecisionWriteRow {
  clusters: number;
  fullBytes: number;
  storedBytes: number;
  fullMedianMs: number;
  fullP99Ms: number;
  storedMedianMs: number;
  storedP99Ms: number;
  writes: number;
}

export const runDecisionWrites = async (sizes: number[], writes: number, databaseUrl: string) =>
  withScratchDatabase(databaseUrl, "decisions", async (database) => {
    const rows: DecisionWriteRow[] = [];
    for (const n of sizes) {
      const fleet = benchFleet(n);
      const full = planOn(
        compileFleet({ clusters: fleet, datasets: [], reservations: [] }),
        [],
        Workload.parse(aJob("w")),
      );
      const stored = storedDecision(full);
      const times = { full: [] as number[], stored: [] as number[] };
      const write = async (kind: "full" | "stored") => {
        const t = performance.now();
        await database.db.insert(decisions).values({
          id: randomUUID(),
          uid: randomUUID(),
          tenant: "bench",
          workload: "w",
          decision: kind === "full" ? full : stored,
          feasible: true,
        });
        times[kind].push(performance.now() - t);
      };
      // Warm the connection and the JIT on both shapes, then alternate.
      await write("full");
      await write("stored");
      times.full.length = 0;
      times.stored.length = 0;
      for (let i = 0; i < writes; i++) {
        await write(i % 2 === 0 ? "full" : "stored");
        await write(i % 2 === 0 ? "stored" : "full");
      }
      rows.push({
        clusters: n,
        fullBytes: JSON.stringify(full).length,
        storedBytes: JSON.stringify(stored).length,
        fullMedianMs: median(times.full),
        fullP99Ms: percentile(times.full, 99),
        storedMedianMs: median(times.stored),
        storedP99Ms: percentile(times.stored, 99),
        writes,
      });
    }
    return rows;
  });
