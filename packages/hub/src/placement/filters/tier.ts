import type { FilterPlugin } from "../framework.ts";

/** The workload's tier allow-list (`spec.placement.tiers`); empty allows every tier. */
export const tierFilter: FilterPlugin = {
  name: "tier",
  filter({ cluster, request }) {
    if (request.tiers === null || request.tiers.has(cluster.tier)) return undefined;
    return {
      code: "tier_not_allowed",
      message: `tier ${cluster.tier} is not in the allowed tiers (${request.tiersLabel})`,
      plugin: "tier",
      summary: "not in allowed tiers",
    };
  },
};
