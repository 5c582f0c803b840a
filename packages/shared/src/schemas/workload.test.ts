import { describe, expect, it } from "vitest";
import { parseWith, ValidationError } from "../parse.ts";
import { API_VERSION, Workload } from "./workload.ts";

const minimal = (spec: Record<string, unknown> = {}) => ({
  apiVersion: API_VERSION,
  kind: "Workload",
  metadata: { name: "train" },
  spec: { type: "job", ...spec },
});

const fieldsOf = (run: () => unknown): string[] => {
  try {
    run();
  } catch (e) {
    if (e instanceof ValidationError) return e.issues.map((i) => i.field);
    throw e;
  }
  throw new Error("expected a ValidationError");
};

describe("Workload", () => {
  it("fills in the defaults a user may leave out", () => {
    const w = Workload.parse(minimal());
    expect(w.metadata.tenant).toBe("default");
    expect(w.metadata.labels).toEqual({});
    expect(w.spec).toMatchObject({
      replicas: 1,
      gang: false,
      resources: { gpu: { count: 0, models: [], minMemoryGiB: 0 }, cpu: 0, memoryGiB: 0 },
      data: [],
      placement: { tiers: [], regions: [], spot: "never", tolerations: [] },
      priority: 0,
      restartable: false,
      template: [],
    });
    expect(w.spec.durationHours).toBeUndefined();
  });

  it("fills defaults inside a partly given gpu request", () => {
    const w = Workload.parse(minimal({ resources: { gpu: { count: 2 } } }));
    expect(w.spec.resources.gpu).toEqual({ count: 2, models: [], minMemoryGiB: 0 });
  });

  it("wraps a single template manifest in a list and keeps unknown manifest fields", () => {
    const w = Workload.parse(minimal({ template: { apiVersion: "batch/v1", kind: "Job", spec: { x: 1 } } }));
    expect(w.spec.template).toEqual([{ apiVersion: "batch/v1", kind: "Job", spec: { x: 1 } }]);
  });

  it("names the field of a negative gpu count", () => {
    expect(fieldsOf(() => parseWith(Workload, minimal({ resources: { gpu: { count: -2 } } })))).toEqual([
      "spec.resources.gpu.count",
    ]);
  });

  it("names every bad field at once", () => {
    const bad = { ...minimal({ type: "cron", replicas: 0 }), metadata: { name: "Not_A_Label" } };
    expect(fieldsOf(() => parseWith(Workload, bad)).sort()).toEqual(["metadata.name", "spec.replicas", "spec.type"]);
  });

  it("rejects a manifest without a kind, naming its index", () => {
    expect(fieldsOf(() => parseWith(Workload, minimal({ template: [{ apiVersion: "v1" }] })))).toEqual([
      "spec.template.0.kind",
    ]);
  });

  it("says which source was invalid in the error message", () => {
    expect(() => parseWith(Workload, minimal({ replicas: -1 }), "train.yaml")).toThrow(
      /^train\.yaml is invalid: spec\.replicas: /,
    );
  });

  it("rejects another apiVersion", () => {
    expect(fieldsOf(() => parseWith(Workload, { ...minimal(), apiVersion: "gantry.dev/v2" }))).toEqual(["apiVersion"]);
  });
});
