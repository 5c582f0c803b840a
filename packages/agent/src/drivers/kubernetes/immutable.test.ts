import { Placement } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { KubernetesDriverError } from "./errors.ts";
import { hasStarted, immutableFields, recreateVerdict } from "./immutable.ts";

const invalid = (...causes: { reason: string; message: string; field: string }[]) =>
  new KubernetesDriverError("k8s_invalid", "PATCH x: 422 invalid", 422, { causes });

const placement = (type: "job" | "service", restartable: boolean) =>
  Placement.parse({
    uid: "uid-w",
    workload: "w",
    tenant: "t",
    cluster: "c",
    replicas: 1,
    generation: 2,
    decisionId: "d",
    spec: { type, restartable, template: [] },
  });

describe("immutableFields", () => {
  it("names the fields of an immutability refusal", () => {
    const e = invalid(
      { reason: "FieldValueInvalid", message: "Invalid value: {}: field is immutable", field: "spec.template" },
      { reason: "FieldValueInvalid", message: "Invalid value: 3: field is immutable", field: "spec.completions" },
    );
    expect(immutableFields(e)).toEqual(["spec.template", "spec.completions"]);
  });

  it("recognises the StatefulSet's Forbidden wording", () => {
    const message =
      "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";
    expect(immutableFields(invalid({ reason: "FieldValueForbidden", message, field: "spec" }))).toEqual(["spec"]);
  });

  it("is undefined for other validation errors, mixed refusals and other error codes", () => {
    const required = {
      reason: "FieldValueRequired",
      message: "Required value",
      field: "spec.template.spec.containers",
    };
    expect(immutableFields(invalid(required))).toBeUndefined();
    const immutable = {
      reason: "FieldValueInvalid",
      message: "Invalid value: x: field is immutable",
      field: "spec.selector",
    };
    expect(immutableFields(invalid(immutable, required))).toBeUndefined();
    expect(immutableFields(new KubernetesDriverError("k8s_conflict", "409", 409))).toBeUndefined();
    expect(immutableFields(new Error("field is immutable"))).toBeUndefined();
  });
});

describe("recreateVerdict", () => {
  it("recreates services, restartable jobs and jobs that have not started; not a started job", () => {
    expect(recreateVerdict(placement("service", false), true)).toEqual({ recreate: true });
    expect(recreateVerdict(placement("job", true), true)).toEqual({ recreate: true });
    expect(recreateVerdict(placement("job", false), false)).toEqual({ recreate: true });
    const refused = recreateVerdict(placement("job", false), true);
    expect(refused.recreate).toBe(false);
    if (!refused.recreate) expect(refused.reason).toContain("not restartable");
  });

  it("counts pods, a start time or any finished pod as started", () => {
    const job = (status: Record<string, unknown>) => ({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "j" },
      status,
    });
    expect(hasStarted(undefined, false)).toBe(false);
    expect(hasStarted(job({}), false)).toBe(false);
    expect(hasStarted(job({}), true)).toBe(true);
    expect(hasStarted(job({ startTime: "2024-05-01T10:00:00Z" }), false)).toBe(true);
    expect(hasStarted(job({ succeeded: 1 }), false)).toBe(true);
  });
});
