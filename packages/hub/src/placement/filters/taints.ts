import type { Taint, Toleration } from "@gantry/shared";
import { type FilterPlugin, type Rejection, remember } from "../framework.ts";

/** Kubernetes semantics: same key; value omitted means `Exists`; effect omitted matches every effect. */
export const tolerates = (t: Toleration, taint: Taint): boolean =>
  t.key === taint.key &&
  (t.value === undefined || t.value === taint.value) &&
  (t.effect === undefined || t.effect === taint.effect);

const untolerated = (taint: string): Rejection => ({
  code: "taint_not_tolerated",
  message: `untolerated taint ${taint}`,
  plugin: "taints",
  summary: "had untolerated taint",
});

const tolerated = (tolerations: readonly Toleration[], taint: Taint): boolean => {
  for (const t of tolerations) if (tolerates(t, taint)) return true;
  return false;
};

/** `NoSchedule` and `NoExecute` taints must be tolerated; `PreferNoSchedule` is a hint, not a bar. */
export const taintFilter: FilterPlugin = {
  name: "taints",
  filter({ cluster, request }) {
    for (const taint of cluster.taints) {
      if (taint.effect === "PreferNoSchedule" || tolerated(request.tolerations, taint)) continue;
      const value = taint.value === "" ? "" : `=${taint.value}`;
      const text = `${taint.key}${value}:${taint.effect}`;
      const key = `taint:${text}`;
      return request.memo.get(key) ?? remember(request, key, untolerated(text));
    }
    return undefined;
  },
};
