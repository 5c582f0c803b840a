import { z } from "zod";
import { LabelKey, LabelValue, labelValueErrors, qualifiedNameErrors } from "./labels.ts";
import { boundedInt, boundedList, LIMITS } from "./limits.ts";

/*
 * Taints and tolerations with Kubernetes' meaning, because Gantry borrows the words: the schemas port
 * `ValidateTolerations` and `validateNodeTaints` (kubernetes/kubernetes pkg/apis/core/validation/validation.go),
 * `tolerates` ports `Toleration.ToleratesTaint` (k8s.io/api/core/v1/toleration.go) and `untoleratedTaints` ports
 * `FindMatchingUntoleratedTaint` (k8s.io/component-helpers/scheduling/corev1/helpers.go).
 */

export const TaintEffect = z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"], {
  error: () => "must be NoSchedule, PreferNoSchedule or NoExecute",
});
export type TaintEffect = z.infer<typeof TaintEffect>;

/** Effects that keep new work off a cluster or node; `PreferNoSchedule` is a preference, not a bar. */
export const HARD_TAINT_EFFECTS: readonly TaintEffect[] = ["NoSchedule", "NoExecute"];

/**
 * A taint on a cluster (or node). Kubernetes requires `effect` on a node's taint; Gantry defaults it to
 * `NoSchedule`, the effect people mean when they leave it out.
 */
export const Taint = z.strictObject({
  key: LabelKey,
  value: LabelValue.default(""),
  effect: TaintEffect.default("NoSchedule"),
});
export type Taint = z.infer<typeof Taint>;
export type TaintInput = z.input<typeof Taint>;

/** A cluster's taints: at most `LIMITS.taints`, unique by key and effect (as `validateNodeTaints` requires). */
export const Taints = boundedList(Taint, LIMITS.taints).superRefine((taints, ctx) => {
  const seen = new Set<string>();
  taints.forEach((t, i) => {
    const id = `${t.key}:${t.effect}`;
    if (seen.has(id)) {
      ctx.addIssue({ code: "custom", path: [i], message: "taints must be unique by key and effect pair" });
    }
    seen.add(id);
  });
});

export const TolerationOperator = z.enum(["Equal", "Exists"], { error: () => "must be Equal or Exists" });
export type TolerationOperator = z.infer<typeof TolerationOperator>;

/**
 * A toleration matches taints by `<key, value, effect>` using `operator`. `Equal` (the default) compares values;
 * `Exists` ignores them. An empty `key` with `Exists` tolerates every taint; an empty `effect` matches every effect.
 * `tolerationSeconds` (NoExecute only) is passed to the pod; placement ignores it, as Kubernetes' scheduler does.
 */
export const Toleration = z
  .strictObject({
    key: z.string().optional(),
    operator: TolerationOperator.default("Equal"),
    value: z.string().optional(),
    effect: TaintEffect.optional(),
    /** Kubernetes treats negative values as 0; Gantry refuses them as the typo they are. */
    tolerationSeconds: boundedInt(LIMITS.seconds).optional(),
  })
  .superRefine((t, ctx) => {
    const key = t.key ?? "";
    const value = t.value ?? "";
    const issue = (field: string, message: string) => ctx.addIssue({ code: "custom", path: [field], message });
    if (key.length > 0) for (const m of qualifiedNameErrors(key)) issue("key", m);
    if (key.length === 0 && t.operator !== "Exists") {
      issue("operator", 'operator must be Exists when `key` is empty, which means "match all values and all keys"');
    }
    if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute") {
      issue("effect", "effect must be 'NoExecute' when `tolerationSeconds` is set");
    }
    // Kubernetes reports both value problems at `operator`; the value is what has to change, so it is named.
    if (t.operator === "Equal") for (const m of labelValueErrors(value)) issue("value", m);
    else if (value.length > 0) issue("value", "value must be empty when `operator` is 'Exists'");
  });
export type Toleration = z.infer<typeof Toleration>;
export type TolerationInput = z.input<typeof Toleration>;

export const Tolerations = boundedList(Toleration, LIMITS.tolerations);

/** `ToleratesTaint`: whether one toleration tolerates `taint`. */
export const toleratesTaint = (t: Toleration, taint: Taint): boolean => {
  if (t.effect !== undefined && t.effect !== taint.effect) return false;
  const key = t.key ?? "";
  if (key.length > 0 && key !== taint.key) return false;
  return t.operator === "Exists" || (t.value ?? "") === taint.value;
};

/** Whether any of `tolerations` tolerates `taint`. */
export const tolerates = (tolerations: readonly Toleration[], taint: Taint): boolean =>
  tolerations.some((t) => toleratesTaint(t, taint));

/** The taints with one of `effects` that no toleration tolerates, in order; empty when all are tolerated. */
export const untoleratedTaints = (
  tolerations: readonly Toleration[],
  taints: readonly Taint[],
  effects: readonly TaintEffect[] = HARD_TAINT_EFFECTS,
): Taint[] => taints.filter((taint) => effects.includes(taint.effect) && !tolerates(tolerations, taint));

/** The `key=value:effect` form kubectl prints (`key:effect` when the value is empty). */
export const formatTaint = (taint: Taint): string =>
  `${taint.key}${taint.value === "" ? "" : `=${taint.value}`}:${taint.effect}`;
