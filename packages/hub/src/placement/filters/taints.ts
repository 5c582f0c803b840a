import type { Taint, Toleration } from "@gantry/shared";
import type { FilterPlugin } from "../framework.ts";

/** Kubernetes semantics: same key; value omitted means `Exists`; effect omitted matches every effect. */
export const tolerates = (t: Toleration, taint: Taint): boolean =>
  t.key === taint.key &&
  (t.value === undefined || t.value === taint.value) &&
  (t.effect === undefined || t.effect === taint.effect);

/** `NoSchedule` and `NoExecute` taints must be tolerated; `PreferNoSchedule` is a hint, not a bar. */
export const taintFilter: FilterPlugin = {
  name: "taints",
  filter({ cluster, request }) {
    for (const taint of cluster.taints) {
      if (taint.effect === "PreferNoSchedule") continue;
      if (request.tolerations.some((t) => tolerates(t, taint))) continue;
      const value = taint.value === "" ? "" : `=${taint.value}`;
      return {
        code: "taint_not_tolerated",
        message: `untolerated taint ${taint.key}${value}:${taint.effect}`,
        plugin: "taints",
        summary: "had untolerated taint",
      };
    }
    return undefined;
  },
};
