import type { CapacityReport, ClusterDescription } from "@gantry/shared";
import { asc, eq, sql } from "drizzle-orm";
import type { Db } from "./db.ts";
import { type ClusterRow, clusters, reservations } from "./schema.ts";

/** Cluster registry: what agents announce and report. */
export const clusterRepository = (db: Db) => ({
  /** Record an agent's hello: the cluster's description and who serves it. */
  async announce(input: {
    description: ClusterDescription;
    agentId: string;
    driver: string;
    agentVersion: string;
    at: Date;
  }): Promise<void> {
    const { description, agentId, driver, agentVersion, at } = input;
    await db
      .insert(clusters)
      .values({ name: description.name, description, agentId, driver, agentVersion, lastSeenAt: at })
      .onConflictDoUpdate({
        target: clusters.name,
        set: { description, agentId, driver, agentVersion, lastSeenAt: at },
      });
  },

  /**
   * Store a heartbeat's capacity and release the reservations the report now accounts for.
   * Returns false when the cluster is unknown (the agent must say hello first).
   */
  async heartbeat(name: string, capacity: CapacityReport, at: Date): Promise<boolean> {
    return db.transaction(async (tx) => {
      const updated = await tx
        .update(clusters)
        .set({ capacity, lastSeenAt: at })
        .where(eq(clusters.name, name))
        .returning({ name: clusters.name });
      if (updated.length === 0) return false;
      for (const { workload, generation } of capacity.accountedWorkloads) {
        await tx
          .delete(reservations)
          .where(
            sql`${reservations.cluster} = ${name} and ${reservations.workload} = ${workload} and ${reservations.generation} <= ${generation}`,
          );
      }
      return true;
    });
  },

  list(): Promise<ClusterRow[]> {
    return db.select().from(clusters).orderBy(asc(clusters.name));
  },

  async get(name: string): Promise<ClusterRow | undefined> {
    const rows = await db.select().from(clusters).where(eq(clusters.name, name));
    return rows[0];
  },
});
