/**
 * `pnpm bench --only store:accrual`: what one cost accrual (`store.costs.accrue`) costs with N running placements,
 * in wall time and in the hub process's CPU time (the event loop the API and the bus share). The placements are
 * written with SQL, as the scheduler and status reports would have left them: running, one replica ready, a staging
 * plan each.
 */
import pg from "pg";
import { createStore } from "../../src/store/index.ts";
import { median } from "../fleet/proc.ts";
import { withScratchDatabase } from "./scratch.ts";

export interface AccrualRow {
  placements: number;
  accruals: number;
  medianWallMs: number;
  medianCpuMs: number;
}

export const runAccrual = async (sizes: number[], accruals: number, databaseUrl: string) => {
  const rows: AccrualRow[] = [];
  for (const n of sizes) {
    await withScratchDatabase(databaseUrl, "accrual", async (database, url) => {
      const direct = new pg.Client({ connectionString: url });
      await direct.connect();
      try {
        const store = createStore(database.db);
        const start = "2026-12-03T00:00:00.000Z";
        await direct.query(
          `insert into workloads (uid, tenant, name, manifest, phase, generation, created_at, updated_at)
         select 'u' || i, 'bench', 'w-' || i, '{"spec":{"resources":{"gpu":{"count":1}}}}', 'Running', 1,
           $1::timestamptz, $1::timestamptz
         from generate_series(1, ${n}) i`,
          [start],
        );
        await direct.query(
          `insert into placements (uid, cluster, tenant, workload, replicas, generation, decision_id,
           price_per_gpu_hour, gpus_per_replica, staging, status, created_at)
         select 'u' || i, 'c-' || i, 'bench', 'w-' || i, 1, 1, 'd' || i, 2, 1,
           '[{"dataset":"imagenet","fromCluster":"c-0","sizeGB":150,"etaSeconds":30,"usd":1.2}]',
           jsonb_build_object('uid', 'u' || i, 'tenant', 'bench', 'workload', 'w-' || i, 'generation', 1,
             'replicas', 1, 'readyReplicas', 1, 'phase', 'Running', 'message', '1 running, 0 completed',
             'events', '[]'::jsonb, 'startedAt', $1::text),
           $1::timestamptz
         from generate_series(1, ${n}) i`,
          [start],
        );
        const wall: number[] = [];
        const cpu: number[] = [];
        for (let k = 1; k <= accruals; k++) {
          const before = process.cpuUsage();
          const t = performance.now();
          await store.costs.accrue(new Date(Date.parse(start) + k * 60_000));
          wall.push(performance.now() - t);
          const used = process.cpuUsage(before);
          cpu.push((used.user + used.system) / 1_000);
        }
        const { rows: counted } = await direct.query("select count(*)::int as n from cost_ledger");
        if (counted[0].n !== n * accruals)
          throw new Error(`store:accrual: ${counted[0].n} ledger rows, not ${n * accruals}`);
        rows.push({ placements: n, accruals, medianWallMs: median(wall), medianCpuMs: median(cpu) });
      } finally {
        await direct.end();
      }
    });
  }
  return rows;
};
