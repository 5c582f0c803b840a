import { type FilterPlugin, type Rejection, remember } from "../framework.ts";

const notAllowed = (tier: string, allowed: string): Rejection => ({
  code: "tier_not_allowed",
  message: `tier ${tier} is not in the allowed tiers (${allowed})`,
  plugin: "tier",
  summary: "not in allowed tiers",
});

/** The workload's tier allow-list (`spec.placement.tiers`); empty allows every tier. */
export const tierFilter: FilterPlugin = {
  name: "tier",
  filter({ cluster, request }) {
    if (request.tiers === null || request.tiers.has(cluster.tier)) return undefined;
    const key = `tier:${cluster.tier}`;
    return request.memo.get(key) ?? remember(request, key, notAllowed(cluster.tier, request.tiersLabel));
  },
};
