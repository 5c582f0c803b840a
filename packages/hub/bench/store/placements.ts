/**
 * `pnpm bench --only store:placements`: what committing one chunk of a pass's placements (`placeMany`, 16 workloads
 * as the scheduler writes them) costs on PostgreSQL, with and without CPU-bound processes competing for the machine
 * (the fleet benchmark's hub shares two cores with a simulated fleet: there a round trip waits for a turn twice).
 * The code under test is whatever `store.placing.placeMany` is: run it in two checkouts to compare.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createStore } from "../../src/store/index.ts";
import { aDecision, aReservation, aWorkload } from "../../src/store/testing/fixtures.ts";
import { median, percentile } from "../fleet/proc.ts";
import { withScratchDatabase } from "./scratch.ts";

export interface PlacementWriteRow {
  /** CPU-bound processes running meanwhile. */
  hogs: number;
  chunk: number;
  chunks: number;
  medianMs: number;
  p99Ms: number;
}

const CHUNK = 16;
const CLUSTERS = 64;

/** A process that spins until killed: competition for the cores, as the simulated fleet is in the fleet benchmark. */
const hog = () => spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" });

export const runPlacementWrites = async (hogCounts: number[], chunks: number, databaseUrl: string) =>
  withScratchDatabase(databaseUrl, "placements", async (database) => {
    const store = createStore(database.db);
    const rows: PlacementWriteRow[] = [];
    const at = new Date("2026-12-03T00:00:00Z");
    const clusters = Array.from({ length: CLUSTERS }, (_, i) => `c-${i}`);
    for (const c of clusters) await store.clusters.register(c, { tier: "cloud", region: "r" }, at);
    let n = 0;
    /** One chunk: 16 new workloads, each placed on one cluster (two for every fourth, as a split would be). */
    const chunk = async (): Promise<number> => {
      const items = [];
      for (let i = 0; i < CHUNK; i++) {
        const w = (await store.workloads.create(aWorkload(`w-${n++}`), at)).row;
        const on = [clusters[n % CLUSTERS]!, ...(i % 4 === 0 ? [clusters[(n + 7) % CLUSTERS]!] : [])];
        items.push({
          uid: w.uid,
          change: {
            decisionId: randomUUID(),
            decision: aDecision(on.map((cluster) => ({ cluster }))),
            reservations: on.map((c) => aReservation(w.uid, c)),
            at,
          },
        });
      }
      const t = performance.now();
      const placed = await store.placing.placeMany(items);
      const ms = performance.now() - t;
      if (placed.size !== CHUNK) throw new Error(`store:placements: placed ${placed.size} of ${CHUNK}`);
      return ms;
    };
    for (let i = 0; i < 5; i++) await chunk();
    for (const hogs of hogCounts) {
      const running = Array.from({ length: hogs }, hog);
      try {
        await new Promise((r) => setTimeout(r, 500));
        const times: number[] = [];
        for (let i = 0; i < chunks; i++) times.push(await chunk());
        rows.push({ hogs, chunk: CHUNK, chunks, medianMs: median(times), p99Ms: percentile(times, 99) });
      } finally {
        for (const p of running) p.kill("SIGKILL");
      }
    }
    return rows;
  });
