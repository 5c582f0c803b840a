import type { Taint, Toleration } from "@gantry/shared";
import type { FilterPlugin, Rejection } from "../framework.ts";

/** Kubernetes semantics: same key; value omitted means `Exists`; effect omitted matches every effect. */
export const tolerates = (t: Toleration, taint: Taint): boolean =>
  t.key === taint.key &&
  (t.value === undefined || t.value === taint.value) &&
  (t.effect === undefined || t.effect === taint.effect);

/** The first taint no toleration matches, as a rejection; null when all are tolerated. */
const check = (taints: readonly Taint[], tolerations: readonly Toleration[]): Rejection | null => {
  for (const taint of taints) {
    if (tolerations.some((t) => tolerates(t, taint))) continue;
    const value = taint.value === "" ? "" : `=${taint.value}`;
    return {
      code: "taint_not_tolerated",
      message: `untolerated taint ${taint.key}${value}:${taint.effect}`,
      plugin: "taints",
      summary: "had untolerated taint",
    };
  }
  return null;
};

/**
 * `NoSchedule` and `NoExecute` taints must be tolerated; `PreferNoSchedule` is a hint, not a bar (the snapshot
 * leaves it out of the taint sets). Each distinct taint set is checked once per decision.
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
