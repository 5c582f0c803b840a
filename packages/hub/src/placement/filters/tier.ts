import { type FilterPlugin, type Rejection, remember } from "../framework.ts";
import { TIERS } from "../snapshot.ts";

const notAllowed = (tier: string, allowed: string): Rejection => ({
  code: "tier_not_allowed",
  message: `tier ${tier} is not in the allowed tiers (${allowed})`,
  plugin: "tier",
  summary: "not in allowed tiers",
});

/** The workload's tier allow-list (`spec.placement.tiers`); empty allows every tier. */
export const tierFilter: FilterPlugin = {
  name: "tier",
  filter({ snapshot, index, request }) {
    const tier = snapshot.tier[index]!;
    if (request.tiers === null || request.tiers[tier] === 1) return undefined;
    const key = `tier:${tier}`;
    return request.memo.get(key) ?? remember(request, key, notAllowed(TIERS[tier]!, request.tiersLabel));
  },
};
