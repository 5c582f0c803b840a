import type { FieldIssue, Fleet, Workload } from "@gantry/shared";
import { HubError } from "../errors.ts";
import type { FleetView } from "../fleet/view.ts";
import { compileFleet, type FleetSnapshot, planOn } from "../placement/index.ts";
import type { Store, WorkloadWithPlacements } from "../store/index.ts";
import { hashOf } from "../util/canonical.ts";
import type { Clock } from "../util/clock.ts";
import { closest } from "../util/suggest.ts";
import { overBudget, startOfUtcDay, startOfUtcMonth } from "./budgets.ts";
import { policyFor } from "./burst.ts";

/** The fleet as if empty, with what is derived from it. */
interface EmptyFleet {
  /**
   * The view's membership counter it was built at: a registration, a removal, a description or a node set's shape
   * changing rebuilds it at once. Usage does not (the empty fleet ignores it): at 10,000 clusters a rebuild is tens of
   * milliseconds of the event loop, and rebuilding on a timer was a tenth of the hub's CPU under submissions.
   */
  membership: number;
  compiled: FleetSnapshot;
  unknownCapacity: boolean;
  registered: number;
  /** GPU models any registered cluster has or prices. */
  models: Set<string>;
  /** Shapes (spec hashes) already decided feasible on this empty fleet. */
  fits: Set<string>;
}

const listed = (values: readonly string[]) => (values.length === 0 ? "none" : values.join(", "));

/** Checks at the door (budgets, named policies) and the policy side of `explain`. */
export const createAdmission = (deps: {
  store: Store;
  clock: Clock;
  view?: FleetView;
  /** Accept a workload no cluster could run even empty (capacity is coming), with a warning. */
  acceptUnsatisfiable?: boolean;
}) => {
  const { store, clock } = deps;
  let empty: EmptyFleet | undefined;

  /** Every registered cluster as if nothing ran on it: what could ever be placed there. */
  const emptyFleet = (): EmptyFleet => {
    const membership = deps.view?.membership() ?? 0;
    if (empty && empty.membership === membership) return empty;
    const registered = (deps.view?.list() ?? []).filter((e) => e.state === "registered");
    const fleet: Fleet = {
      clusters: registered.map((e) => ({
        ...e.description,
        health: "ready",
        nodes: (e.capacity?.nodes ?? []).map((n) => ({
          ...n,
          gpusUsed: 0,
          cpuUsed: 0,
          memoryUsedGiB: 0,
          ready: true,
          schedulable: true,
        })),
      })),
      datasets: [],
      reservations: [],
    };
    const models = new Set<string>();
    for (const e of registered) {
      for (const n of e.capacity?.nodes ?? []) if (n.gpu) models.add(n.gpu.model);
      for (const m of Object.keys(e.description.pricing.gpuHour)) models.add(m);
    }
    empty = {
      membership,
      compiled: compileFleet(fleet),
      unknownCapacity: registered.some((e) => !e.capacity),
      registered: registered.length,
      models,
      fits: new Set(),
    };
    return empty;
  };
  const spend = async (tenant: string) => {
    const now = clock.now();
    return {
      today: await store.costs.tenantSpend(tenant, startOfUtcDay(now)),
      month: await store.costs.tenantSpend(tenant, startOfUtcMonth(now)),
    };
  };
  return {
    /**
     * Build the empty fleet now if the fleet's membership changed since it was built: the hub calls this on its
     * upkeep timer, so a submission does not pay for compiling 10,000 clusters (hundreds of ms on a busy core) after
     * a start or a registration.
     */
    warm(): void {
      emptyFleet();
    },

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

    /**
     * Refuse what can never be right on this fleet: a dataset nobody registered, GPU models no registered cluster has,
     * or a workload that would not fit the whole fleet even if it were empty (422, naming the field and the known
     * values). Returns warnings for what is accepted but suspicious.
     */
    async checkFleet(workload: Workload): Promise<string[]> {
      const warnings: string[] = [];
      const spec = workload.spec;
      const issues: FieldIssue[] = [];
      if (spec.data.length > 0) {
        const known = (await store.datasets.list()).map((d) => d.name);
        spec.data.forEach((name, i) => {
          if (known.includes(name)) return;
          const hint = closest(name, known);
          issues.push({
            field: `spec.data.${i}`,
            message: `unknown dataset ${JSON.stringify(name)}${hint ? `; did you mean ${hint}?` : ""} (known: ${listed(known)})`,
          });
        });
      }
      const fleet = emptyFleet();
      if (fleet.registered === 0) {
        warnings.push("no cluster is registered yet: the workload waits until one is");
        if (issues.length > 0) throw new HubError("unknown_reference", issues.map((i) => i.message).join("; "), issues);
        return warnings;
      }
      const models = spec.resources.gpu.models;
      if (spec.resources.gpu.count > 0 && models.length > 0) {
        const known = fleet.models;
        const unknown = models.map((m, i) => ({ m, i })).filter(({ m }) => !known.has(m));
        for (const { m, i } of unknown) {
          const hint = closest(m, known);
          const message = `no registered cluster has GPU model ${JSON.stringify(m)}${hint ? `; did you mean ${hint}?` : ""} (known: ${listed([...known].sort())})`;
          // Every model unknown: nothing could ever run it. Some unknown: a typo among usable ones is a warning.
          if (unknown.length === models.length) issues.push({ field: `spec.resources.gpu.models.${i}`, message });
          else warnings.push(message);
        }
      }
      if (issues.length > 0) throw new HubError("unknown_reference", issues.map((i) => i.message).join("; "), issues);
      // The answer depends on the spec alone (not the name, not the template), and teams submit the same shapes over
      // and over: a shape known to fit this empty fleet is not decided again (at 10,000 clusters a decision is
      // milliseconds of the event loop, per submit).
      const shape = hashOf({ ...spec, template: null, data: [] });
      if (!fleet.unknownCapacity && !fleet.fits.has(shape)) {
        const decision = planOn(fleet.compiled, [], { ...workload, spec: { ...spec, data: [] } });
        if (decision.feasible) fleet.fits.add(shape);
        else {
          const why = `it cannot run even on an empty fleet: ${decision.summary}`;
          if (!deps.acceptUnsatisfiable) throw new HubError("unsatisfiable", why);
          warnings.push(`accepted although ${why} (the hub accepts unsatisfiable work: capacity is coming)`);
        }
      }
      return warnings;
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
