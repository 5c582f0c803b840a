import type { Workload } from "@gantry/shared";
import { HubError } from "../errors.ts";
import type { Store, WorkloadWithPlacements } from "../store/index.ts";
import type { Clock } from "../util/clock.ts";
import { overBudget, startOfUtcDay, startOfUtcMonth } from "./budgets.ts";
import { policyFor } from "./burst.ts";

/** Checks at the door (budgets, named policies) and the policy side of `explain`. */
export const createAdmission = (deps: { store: Store; clock: Clock }) => {
  const { store, clock } = deps;
  const spend = async (tenant: string) => {
    const now = clock.now();
    return {
      today: await store.costs.tenantSpend(tenant, startOfUtcDay(now)),
      month: await store.costs.tenantSpend(tenant, startOfUtcMonth(now)),
    };
  };
  return {
    /** Refuse new work for a tenant over budget, or naming a policy that does not exist. */
    async admit(workload: Workload): Promise<void> {
      const named = workload.spec.placement.policy;
      if (named && !(await store.policies.get(named))) {
        throw new HubError(
          "validation_failed",
          `spec.placement.policy: no burst policy named ${JSON.stringify(named)}`,
          [{ field: "spec.placement.policy", message: `no burst policy named ${named}` }],
        );
      }
      const tenant = workload.metadata.tenant;
      const budget = await store.budgets.get(tenant);
      if (!budget) return;
      const s = await spend(tenant);
      const reason = overBudget(budget, s.today, s.month);
      if (reason) {
        throw new HubError("budget_exceeded", `refused: ${reason}`, {
          tenant,
          spentToday: s.today,
          spentThisMonth: s.month,
          perDay: budget.spec.perDay ?? null,
          perMonth: budget.spec.perMonth ?? null,
        });
      }
    },

    /** Which policy and pool a workload is in, why, and its tenant's budget. */
    async explain(w: WorkloadWithPlacements): Promise<Record<string, unknown>> {
      const policy = w.policy ?? policyFor(w.manifest, await store.policies.list())?.metadata.name ?? null;
      const out: Record<string, unknown> = { policy, pool: w.pool };
      if (w.poolNote) out.burst = w.poolNote;
      if (w.phase === "Pending") out.waitedSeconds = Math.round((clock.now().getTime() - w.createdAt.getTime()) / 1000);
      const budget = await store.budgets.get(w.tenant);
      if (budget) {
        const s = await spend(w.tenant);
        out.budget = {
          tenant: w.tenant,
          spentToday: s.today,
          perDay: budget.spec.perDay ?? null,
          spentThisMonth: s.month,
          perMonth: budget.spec.perMonth ?? null,
        };
      }
      return out;
    },
  };
};
