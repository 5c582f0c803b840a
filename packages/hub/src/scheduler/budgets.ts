import type { Budget } from "@gantry/shared";
import { usd } from "../util/money.ts";

export const startOfUtcDay = (now: Date): Date =>
  new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
export const startOfUtcMonth = (now: Date): Date => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));

/** Why a tenant may not start new work, or undefined when it is within budget. */
export const overBudget = (
  budget: Budget | undefined,
  spentToday: number,
  spentThisMonth: number,
): string | undefined => {
  if (!budget) return undefined;
  const t = budget.metadata.name;
  const { perDay, perMonth } = budget.spec;
  if (perDay !== undefined && spentToday >= perDay) {
    return `tenant ${t} has spent ${usd(spentToday)} of its ${usd(perDay)} daily budget; new work waits until 00:00 UTC or a larger budget`;
  }
  if (perMonth !== undefined && spentThisMonth >= perMonth) {
    return `tenant ${t} has spent ${usd(spentThisMonth)} of its ${usd(perMonth)} monthly budget`;
  }
  return undefined;
};
