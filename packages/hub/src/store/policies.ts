import type { Budget, BurstPolicy } from "@gantry/shared";
import { asc, eq } from "drizzle-orm";
import { type AuditEntry, recordAudit } from "./audit.ts";
import type { Db } from "./db.ts";
import { budgets, policies } from "./schema.ts";

/** Operators' burst policies and tenants' budgets; each change commits with its audit row. */
export const policyRepository = (db: Db) => ({
  async put(policy: BurstPolicy, at: Date, audit?: AuditEntry): Promise<"created" | "updated"> {
    return db.transaction(async (tx) => {
      const existed = (
        await tx.select({ n: policies.name }).from(policies).where(eq(policies.name, policy.metadata.name))
      ).length;
      await tx
        .insert(policies)
        .values({ name: policy.metadata.name, resource: policy, updatedAt: at })
        .onConflictDoUpdate({ target: policies.name, set: { resource: policy, updatedAt: at } });
      if (audit) await recordAudit(tx, audit);
      return existed ? "updated" : "created";
    });
  },
  async get(name: string): Promise<BurstPolicy | undefined> {
    return (await db.select().from(policies).where(eq(policies.name, name)))[0]?.resource;
  },
  async list(): Promise<BurstPolicy[]> {
    return (await db.select().from(policies).orderBy(asc(policies.name))).map((r) => r.resource);
  },
  async delete(name: string, audit?: AuditEntry): Promise<boolean> {
    return db.transaction(async (tx) => {
      const gone =
        (await tx.delete(policies).where(eq(policies.name, name)).returning({ n: policies.name })).length > 0;
      if (gone && audit) await recordAudit(tx, audit);
      return gone;
    });
  },
});

export const budgetRepository = (db: Db) => ({
  async put(budget: Budget, at: Date, audit?: AuditEntry): Promise<void> {
    await db.transaction(async (tx) => {
      await tx
        .insert(budgets)
        .values({ tenant: budget.metadata.name, resource: budget, updatedAt: at })
        .onConflictDoUpdate({ target: budgets.tenant, set: { resource: budget, updatedAt: at } });
      if (audit) await recordAudit(tx, audit);
    });
  },
  async get(tenant: string): Promise<Budget | undefined> {
    return (await db.select().from(budgets).where(eq(budgets.tenant, tenant)))[0]?.resource;
  },
  async list(): Promise<Budget[]> {
    return (await db.select().from(budgets).orderBy(asc(budgets.tenant))).map((r) => r.resource);
  },
  async delete(tenant: string, audit?: AuditEntry): Promise<boolean> {
    return db.transaction(async (tx) => {
      const gone =
        (await tx.delete(budgets).where(eq(budgets.tenant, tenant)).returning({ t: budgets.tenant })).length > 0;
      if (gone && audit) await recordAudit(tx, audit);
      return gone;
    });
  },
});
