import type { ScorePlugin } from "../framework.ts";

/** Points a non-spot cluster loses when the workload prefers spot. */
const SPOT_PREFERRED_PENALTY = 50;

/**
 * Operator and user preferences: the burst policy's tier order (first tier 100, then evenly lower, unlisted 0) and,
 * for `spot: preferred`, clusters that sell spot for the chosen model.
 */
export const policyScorer: ScorePlugin = {
  name: "policy",
  score(c, req) {
    let s = 100;
    if (req.tierRank !== null) {
      const rank = req.tierRank.get(c.tier);
      s = rank === undefined ? 0 : 100 * (1 - rank / req.tierPreference.length);
    }
    if (req.spot === "preferred" && !c.spot) s = Math.max(0, s - SPOT_PREFERRED_PENALTY);
    return s;
  },
  explain(c, req) {
    const parts: string[] = [];
    if (req.tierRank !== null) {
      const rank = req.tierRank.get(c.tier);
      const order = req.tierPreference.join(" > ");
      parts.push(
        rank === undefined ? `tier ${c.tier} is not in ${order}` : `tier ${c.tier} is #${rank + 1} in ${order}`,
      );
    }
    if (req.spot === "preferred") parts.push(c.spot ? "spot as preferred" : "no spot here");
    return parts.length === 0 ? undefined : { code: "policy", message: parts.join("; ") };
  },
};
