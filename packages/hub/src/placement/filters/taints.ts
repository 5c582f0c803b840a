import { formatTaint, HARD_TAINT_EFFECTS, type Taint, type Toleration, untoleratedTaints } from "@gantry/shared";
import type { FilterPlugin, Rejection } from "../framework.ts";

/** The first taint no toleration matches (Kubernetes' key, value and effect rules), as a rejection; null when none. */
const check = (taints: readonly Taint[], tolerations: readonly Toleration[]): Rejection | null => {
  const [taint] = untoleratedTaints(tolerations, taints, HARD_TAINT_EFFECTS);
  if (taint === undefined) return null;
  return {
    code: "taint_not_tolerated",
    message: `untolerated taint ${formatTaint(taint)}`,
    plugin: "taints",
    summary: "had untolerated taint",
  };
};

/**
 * `NoSchedule` and `NoExecute` taints must be tolerated; `PreferNoSchedule` is a hint, not a bar (the snapshot
 * leaves it out of the taint sets, and `check` asks only for the hard effects). Each distinct taint set is checked
 * once per decision.
 */
export const taintFilter: FilterPlugin = {
  name: "taints",
  filter({ snapshot, index, request }) {
    const set = snapshot.taintSet[index]!;
    if (set === 0) return undefined;
    let verdict = request.taintVerdicts[set];
    if (verdict === undefined) {
      verdict = check(snapshot.taintSets[set]!, request.tolerations);
      request.taintVerdicts[set] = verdict;
    }
    return verdict ?? undefined;
  },
};
