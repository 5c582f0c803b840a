import type { CapacityReport, ClusterDescription } from "@gantry/shared";
import { and, asc, eq, isNull, lte, sql } from "drizzle-orm";
import { HubError, notFound } from "../errors.ts";
import { type AuditEntry, recordAudit } from "./audit.ts";
import type { Db } from "./db.ts";
import {
  type ClusterRegistration,
  type ClusterRow,
  type ClusterState,
  clusterCredentials,
  clusters,
} from "./schema.ts";
import { touchClusters } from "./tx.ts";

/** The description the engine uses: what the agent reports, with every field the operator registered winning. */
export const effectiveDescription = (
  name: string,
  registration: ClusterRegistration | null,
  reported: ClusterDescription | null,
): ClusterDescription => ({
  name,
  tier: registration?.tier ?? reported?.tier ?? "cloud",
  provider: registration?.provider ?? reported?.provider ?? "",
  region: registration?.region ?? reported?.region ?? "",
  zone: registration?.zone ?? reported?.zone ?? "",
  labels: registration?.labels ?? reported?.labels ?? {},
  taints: registration?.taints ?? reported?.taints ?? [],
  pricing: registration?.pricing ?? reported?.pricing ?? { gpuHour: {}, spotGpuHour: {}, egressPerGB: 0 },
  ...optional("spot", registration, reported),
  // The dollar model's link, cache and preemption rates: without them the engine prices with its defaults.
  ...optional("bandwidthGbps", registration, reported),
  ...optional("cacheGB", registration, reported),
  ...optional("spotPreemptionsPerHour", registration, reported),
});

/** An optional description field: the operator's when registered, else the agent's, else absent. */
const optional = <K extends "spot" | "bandwidthGbps" | "cacheGB" | "spotPreemptionsPerHour">(
  key: K,
  registration: ClusterRegistration | null,
  reported: ClusterDescription | null,
): Partial<Pick<ClusterDescription, K>> => {
  const value = registration?.[key] ?? reported?.[key];
  return value === undefined ? {} : ({ [key]: value } as Partial<Pick<ClusterDescription, K>>);
};

export interface CheckpointEntry {
  name: string;
  /** Absent when the stored report already says what this one does: only the last-seen time is written. */
  capacity?: CapacityReport;
  lastSeenAt: Date;
}

/** Cluster registry: what operators register, what agents announce, and a checkpoint of what they last reported. */
export const clusterRepository = (db: Db) => ({
  /**
   * Register a cluster (or approve a pending one): it gets work from now on. Fields in `registration` win over what
   * its agent reports. Registering a revoked cluster again is allowed (a new start with new credentials).
   */
  async register(name: string, registration: ClusterRegistration, at: Date, audit?: AuditEntry): Promise<ClusterRow> {
    return db.transaction(async (tx) => {
      const current = (await tx.select().from(clusters).where(eq(clusters.name, name)).for("update"))[0];
      const merged = { ...(current?.registration ?? {}), ...registration };
      const description = effectiveDescription(name, merged, current?.reported ?? null);
      await tx
        .insert(clusters)
        .values({
          name,
          state: "registered",
          registration: merged,
          description,
          createdAt: at,
          registeredAt: at,
        })
        .onConflictDoUpdate({
          target: clusters.name,
          set: { state: "registered", registration: merged, description, registeredAt: at, revokedAt: null },
        });
      // Its agent may be waiting with a desired state it must not trust until now.
      await touchClusters(tx, [name]);
      if (audit) await recordAudit(tx, audit);
      // Answer with the row as it is now, its revision moved on, not as the insert returned it.
      return (await tx.select().from(clusters).where(eq(clusters.name, name)))[0]!;
    });
  },

  /**
   * Record an agent's hello on its own subject. A cluster the operator never registered is recorded as `pending`
   * (like a certificate signing request) and gets no work until approved. Returns the row as it is now.
   */
  async announce(input: {
    name: string;
    reported: ClusterDescription;
    agentId: string;
    driver: string;
    agentVersion: string;
    at: Date;
  }): Promise<ClusterRow> {
    const { name, reported, agentId, driver, agentVersion, at } = input;
    return db.transaction(async (tx) => {
      const current = (await tx.select().from(clusters).where(eq(clusters.name, name)).for("update"))[0];
      const description = effectiveDescription(name, current?.registration ?? null, reported);
      const rows = await tx
        .insert(clusters)
        .values({
          name,
          state: "pending",
          description,
          reported,
          agentId,
          driver,
          agentVersion,
          lastSeenAt: at,
          createdAt: at,
        })
        .onConflictDoUpdate({
          target: clusters.name,
          set: { description, reported, agentId, driver, agentVersion, lastSeenAt: at },
        })
        .returning();
      return rows[0]!;
    });
  },

  /** Stop giving a cluster work and refuse its agent (its credentials are revoked by the caller). */
  async revoke(name: string, at: Date, audit?: AuditEntry): Promise<ClusterRow> {
    return db.transaction(async (tx) => {
      const rows = await tx
        .update(clusters)
        .set({ state: "revoked", revokedAt: at })
        .where(eq(clusters.name, name))
        .returning();
      const row = rows[0];
      if (!row) throw notFound("cluster", name);
      await tx
        .update(clusterCredentials)
        .set({ revokedAt: at })
        .where(and(eq(clusterCredentials.cluster, name), isNull(clusterCredentials.revokedAt)));
      // Its agent gets an empty desired state (and is cut off the bus by the caller).
      await touchClusters(tx, [name]);
      if (audit) await recordAudit(tx, audit);
      return row;
    });
  },

  /** Forget a cluster entirely (it must hold no active placements). */
  async remove(name: string, audit?: AuditEntry): Promise<void> {
    await db.transaction(async (tx) => {
      const rows = await tx.delete(clusters).where(eq(clusters.name, name)).returning({ name: clusters.name });
      if (rows.length === 0) throw notFound("cluster", name);
      if (audit) await recordAudit(tx, audit);
    });
  },

  /**
   * Batched checkpoint of soft state: one statement for the clusters whose capacity changed since the last one, one
   * for those whose last-seen time alone is due. At 10,000 clusters the second kind is most of them (every cluster's
   * time every 30 s), and writing their ~3 KB reports again made each checkpoint a multi-megabyte statement.
   */
  async checkpoint(entries: readonly CheckpointEntry[]): Promise<void> {
    const changed = entries.filter((e) => e.capacity !== undefined);
    const seen = entries.filter((e) => e.capacity === undefined);
    if (changed.length > 0) {
      const values = sql.join(
        changed.map(
          (e) => sql`(${e.name}, ${JSON.stringify(e.capacity)}::jsonb, ${e.lastSeenAt.toISOString()}::timestamptz)`,
        ),
        sql`, `,
      );
      await db.execute(
        sql`update ${clusters} c set capacity = v.capacity, last_seen_at = greatest(c.last_seen_at, v.seen)
            from (values ${values}) as v(name, capacity, seen) where c.name = v.name`,
      );
    }
    if (seen.length > 0) {
      const values = sql.join(
        seen.map((e) => sql`(${e.name}, ${e.lastSeenAt.toISOString()}::timestamptz)`),
        sql`, `,
      );
      // Only where a report is stored: a last-seen time without one would say "heard" with nothing to show for it.
      await db.execute(
        sql`update ${clusters} c set last_seen_at = greatest(c.last_seen_at, v.seen)
            from (values ${values}) as v(name, seen) where c.name = v.name and c.capacity is not null`,
      );
    }
  },

  list(): Promise<ClusterRow[]> {
    return db.select().from(clusters).orderBy(asc(clusters.name));
  },

  async get(name: string): Promise<ClusterRow | undefined> {
    return (await db.select().from(clusters).where(eq(clusters.name, name)))[0];
  },

  /** Record a NATS identity issued to a cluster's agent. */
  async addCredential(cluster: string, publicKey: string, at: Date, audit?: AuditEntry): Promise<void> {
    await db.transaction(async (tx) => {
      await tx.insert(clusterCredentials).values({ publicKey, cluster, issuedAt: at });
      if (audit) await recordAudit(tx, audit);
    });
  },

  /** Every credential of a cluster not yet revoked gets a deadline (rotation's grace period); returns their keys. */
  async expireCredentials(cluster: string, except: string, notAfter: Date): Promise<string[]> {
    const rows = await db
      .update(clusterCredentials)
      .set({ notAfter })
      .where(
        and(
          eq(clusterCredentials.cluster, cluster),
          isNull(clusterCredentials.revokedAt),
          isNull(clusterCredentials.notAfter),
          sql`${clusterCredentials.publicKey} <> ${except}`,
        ),
      )
      .returning({ publicKey: clusterCredentials.publicKey });
    return rows.map((r) => r.publicKey);
  },

  /** Credentials whose grace period has ended and that are not yet revoked. */
  async dueForRevocation(now: Date): Promise<{ publicKey: string; cluster: string }[]> {
    return db
      .select({ publicKey: clusterCredentials.publicKey, cluster: clusterCredentials.cluster })
      .from(clusterCredentials)
      .where(and(isNull(clusterCredentials.revokedAt), lte(clusterCredentials.notAfter, now)));
  },

  async markRevoked(publicKeys: readonly string[], at: Date): Promise<void> {
    for (const k of publicKeys) {
      await db.update(clusterCredentials).set({ revokedAt: at }).where(eq(clusterCredentials.publicKey, k));
    }
  },

  /** Every revoked key (nats-server's account revocation list is rebuilt from it). */
  async revokedKeys(): Promise<{ publicKey: string; revokedAt: Date }[]> {
    const rows = await db
      .select({ publicKey: clusterCredentials.publicKey, revokedAt: clusterCredentials.revokedAt })
      .from(clusterCredentials)
      .where(sql`${clusterCredentials.revokedAt} is not null`);
    return rows.map((r) => ({ publicKey: r.publicKey, revokedAt: r.revokedAt! }));
  },

  async credentials(cluster: string) {
    return db.select().from(clusterCredentials).where(eq(clusterCredentials.cluster, cluster));
  },
});
export type ClusterRepository = ReturnType<typeof clusterRepository>;

export const assertState = (row: ClusterRow | undefined, name: string, states: ClusterState[]): ClusterRow => {
  if (!row) throw notFound("cluster", name);
  if (!states.includes(row.state)) {
    throw new HubError("conflict", `cluster ${name} is ${row.state}; expected ${states.join(" or ")}`);
  }
  return row;
};
