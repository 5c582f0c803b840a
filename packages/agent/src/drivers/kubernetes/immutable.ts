import type { Placement } from "@gantry/shared";
import { isDriverError } from "./errors.ts";
import type { KubeWorkloadObject } from "./schemas.ts";

/**
 * When an update is refused because it changes fields that cannot change in place (a Job's pod template,
 * completions or selector, a Deployment's selector, most of a StatefulSet's spec), the only way to the new
 * generation is delete-and-recreate. Whether that is allowed depends on what is lost: this file decides, the
 * API server stays the authority on what is immutable (its 422 says so; we do not predict it).
 */

/** `Forbidden` wordings of "this field cannot change" (StatefulSet spec, PVC spec, ...). */
const FORBIDDEN_UPDATE = /updates to .* (spec|fields) .*forbidden|immutable/i;

/**
 * The fields a 422 refused as immutable, or undefined when the error is anything else (a plain validation
 * error must fail the placement, not trigger a recreate).
 */
export const immutableFields = (e: unknown): string[] | undefined => {
  if (!isDriverError(e, "k8s_invalid")) return undefined;
  const fields = e.causes
    .filter(
      (c) =>
        (c.reason === "FieldValueInvalid" && /field is immutable/.test(c.message ?? "")) ||
        (c.reason === "FieldValueForbidden" && FORBIDDEN_UPDATE.test(c.message ?? "")),
    )
    .map((c) => c.field ?? "spec");
  // Every refused field must be an immutability refusal: a recreate would not cure any other.
  return fields.length > 0 && fields.length === e.causes.length ? [...new Set(fields)] : undefined;
};

/** Has the workload object done any work yet? A Job that never started loses nothing when recreated. */
export const hasStarted = (live: KubeWorkloadObject | undefined, hasPods: boolean): boolean => {
  if (hasPods) return true;
  const s = live?.status;
  if (!s) return false;
  return (
    s.startTime !== undefined ||
    (s.active ?? 0) > 0 ||
    (s.succeeded ?? 0) > 0 ||
    (s.failed ?? 0) > 0 ||
    (s.replicas ?? 0) > 0
  );
};

export type RecreateVerdict = { recreate: true } | { recreate: false; reason: string };

/**
 * May Gantry delete and recreate this workload's object to reach the new generation? A service's new generation
 * replaces its replicas anyway; a restartable job may be stopped and started again; a job that has not started
 * loses nothing. A running (or finished) non-restartable job would lose its progress, or run twice.
 */
export const recreateVerdict = (placement: Placement, started: boolean): RecreateVerdict => {
  if (placement.spec.type === "service") return { recreate: true };
  if (placement.spec.restartable) return { recreate: true };
  if (!started) return { recreate: true };
  return {
    recreate: false,
    reason: `workload ${placement.workload} is a job that is not restartable and has already started; recreating it would lose its progress (mark it restartable to allow this)`,
  };
};
