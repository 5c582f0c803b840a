import type { Obj } from "./fake-store.ts";

/**
 * The update validation a real API server does for the workload kinds Gantry applies, as far as the
 * driver can run into it: fields that may not change once the object exists. Rules and wording follow
 * `ValidateJobSpecUpdate`, `ValidateDeploymentUpdate` and `ValidateStatefulSetUpdate` in kubernetes/kubernetes
 * (pkg/apis/{batch,apps}/validation). Not modelled: the exceptions for suspended Jobs that never started
 * (their scheduling directives may change) and defaulting of fields the driver does not set.
 */

export interface StatusCause {
  reason: "FieldValueInvalid" | "FieldValueForbidden";
  message: string;
  field: string;
}

type Json = Record<string, unknown>;

const isMap = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** JSON with sorted keys: two values are equal when their canonical texts are. */
const canonical = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (isMap(v)) {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(",")}}`;
  }
  return JSON.stringify(v ?? null);
};

const same = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

const specOf = (o: Obj): Json => (isMap(o.spec) ? o.spec : {});

/** The value as Go's `%#v` would start it: enough to show which value was refused. */
const shown = (v: unknown): string => {
  const text = JSON.stringify(v ?? null);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};

const immutable = (field: string, value: unknown): StatusCause => ({
  reason: "FieldValueInvalid",
  message: `Invalid value: ${shown(value)}: field is immutable`,
  field,
});

const jobCauses = (before: Json, after: Json): StatusCause[] => {
  const out: StatusCause[] = [];
  if (!same(before.selector, after.selector)) out.push(immutable("spec.selector", after.selector));
  if (!same(before.template, after.template)) out.push(immutable("spec.template", after.template));
  // Elastic Indexed Jobs (1.27+): completions may change together with parallelism.
  const elastic =
    after.completionMode === "Indexed" &&
    before.completions === before.parallelism &&
    after.completions === after.parallelism;
  if (!same(before.completions, after.completions) && !elastic)
    out.push(immutable("spec.completions", after.completions));
  if (!same(before.completionMode, after.completionMode))
    out.push(immutable("spec.completionMode", after.completionMode));
  return out;
};

/** The StatefulSet spec fields an update may change; any other difference is Forbidden. */
const STATEFULSET_MUTABLE = [
  "replicas",
  "ordinals",
  "template",
  "updateStrategy",
  "persistentVolumeClaimRetentionPolicy",
  "minReadySeconds",
];

const statefulSetCauses = (before: Json, after: Json): StatusCause[] => {
  const strip = (spec: Json): Json =>
    Object.fromEntries(Object.entries(spec).filter(([k]) => !STATEFULSET_MUTABLE.includes(k)));
  if (same(strip(before), strip(after))) return [];
  return [
    {
      reason: "FieldValueForbidden",
      message:
        "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      field: "spec",
    },
  ];
};

/** What the API server refuses in an update of `before` to `after` (empty: the update is valid). */
export const updateCauses = (resource: string, before: Obj, after: Obj): StatusCause[] => {
  const b = specOf(before);
  const a = specOf(after);
  if (resource === "batch/v1/jobs") return jobCauses(b, a);
  if (resource === "apps/v1/deployments")
    return same(b.selector, a.selector) ? [] : [immutable("spec.selector", a.selector)];
  if (resource === "apps/v1/statefulsets") return statefulSetCauses(b, a);
  return [];
};

/** The 422 `Status` a real server sends for an invalid update, `details.causes` included. */
export const invalidStatus = (kind: string, group: string, name: string, causes: readonly StatusCause[]) => {
  const qualified = group ? `${kind}.${group}` : kind;
  const summary = causes.map((c) => `${c.field}: ${c.message}`).join(", ");
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: `${qualified} "${name}" is invalid: ${causes.length > 1 ? `[${summary}]` : summary}`,
    reason: "Invalid",
    details: { name, group, kind, causes },
    code: 422,
  };
};
