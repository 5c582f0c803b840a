import { describe, expect, it } from "vitest";
import { parseWith, ValidationError } from "../parse.ts";
import { API_VERSION, partitionPolicyOf, Workload } from "./workload.ts";

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

describe("Workload: strict fields", () => {
  it("refuses each misspelt field instead of dropping it, with the field meant", () => {
    const bad = minimal({ replica: 3, resource: { gpu: { count: 2 } }, placment: { tiers: ["cloud"] } });
    expect(fieldsOf(() => parseWith(Workload, bad))).toEqual(["spec.replica", "spec.resource", "spec.placment"]);
  });

  it("refuses fields at the top, in metadata and inside a toleration", () => {
    const bad = {
      ...minimal({ placement: { tolerations: [{ key: "a", operater: "Exists" }] } }),
      metadata: { name: "train", namespace: "x" },
      status: {},
    };
    expect(fieldsOf(() => parseWith(Workload, bad)).sort()).toEqual([
      "metadata.namespace",
      "spec.placement.tolerations.0.operater",
      "status",
    ]);
  });
});

describe("Workload: fields for failover, partitions, checkpoints and serving", () => {
  it("accepts failover, a partition policy and a checkpoint interval on a job", () => {
    const w = Workload.parse(
      minimal({ failover: { afterSeconds: 120 }, partitionPolicy: "keepRunning", checkpointMinutes: 30 }),
    );
    expect(w.spec).toMatchObject({
      failover: { afterSeconds: 120 },
      partitionPolicy: "keepRunning",
      checkpointMinutes: 30,
    });
  });

  it("leaves them out when absent, and says which partition policy is in force", () => {
    const job = Workload.parse(minimal()).spec;
    expect(job.failover).toBeUndefined();
    expect(job.partitionPolicy).toBeUndefined();
    expect(partitionPolicyOf(job)).toBe("stop");
    expect(partitionPolicyOf(Workload.parse(minimal({ type: "service" })).spec)).toBe("keepRunning");
    expect(partitionPolicyOf(Workload.parse(minimal({ type: "service", partitionPolicy: "stop" })).spec)).toBe("stop");
  });

  it("refuses a bad partition policy, a zero failover delay and an unknown failover field", () => {
    expect(fieldsOf(() => parseWith(Workload, minimal({ partitionPolicy: "pause" })))).toEqual([
      "spec.partitionPolicy",
    ]);
    expect(fieldsOf(() => parseWith(Workload, minimal({ failover: { afterSeconds: 0 } })))).toEqual([
      "spec.failover.afterSeconds",
    ]);
    expect(fieldsOf(() => parseWith(Workload, minimal({ failover: { after: 5 } }))).sort()).toEqual([
      "spec.failover.after",
      "spec.failover.afterSeconds",
    ]);
  });

  it("accepts autoscaling and serving on a service, with their defaults", () => {
    const w = Workload.parse(
      minimal({ type: "service", autoscaling: { maxReplicas: 8, target: 4 }, serving: { latencySloMs: 300 } }),
    );
    expect(w.spec.autoscaling).toMatchObject({ minReplicas: 1, maxReplicas: 8, metric: "concurrency" });
    expect(w.spec.serving).toMatchObject({ latencySloMs: 300, fromMetrics: false, minOnDemand: 0 });
  });

  it("refuses autoscaling and serving on a job, naming each field", () => {
    const job = minimal({ autoscaling: { maxReplicas: 8, target: 4 }, serving: { latencySloMs: 300 } });
    try {
      parseWith(Workload, job);
      throw new Error("expected a ValidationError");
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      expect(e.issues).toEqual([
        { field: "spec.autoscaling", message: "only a service may set autoscaling; this is a job" },
        { field: "spec.serving", message: "only a service may set serving; this is a job" },
      ]);
    }
  });

  it("checks the serving schemas' own rules and fields inside a workload", () => {
    const bad = minimal({ type: "service", autoscaling: { minReplicas: 9, maxReplicas: 8, target: 1, metrc: "x" } });
    expect(fieldsOf(() => parseWith(Workload, bad))).toEqual([
      "spec.autoscaling.metrc",
      "spec.autoscaling.minReplicas",
    ]);
    const order = minimal({ type: "service", autoscaling: { minReplicas: 9, maxReplicas: 8, target: 1 } });
    expect(fieldsOf(() => parseWith(Workload, order))).toEqual(["spec.autoscaling.minReplicas"]);
  });
});

describe("Workload: tolerations", () => {
  it("defaults a toleration's operator to Equal, as Kubernetes does", () => {
    const w = Workload.parse(minimal({ placement: { tolerations: [{ key: "gpu" }, { operator: "Exists" }] } }));
    expect(w.spec.placement.tolerations).toEqual([{ key: "gpu", operator: "Equal" }, { operator: "Exists" }]);
  });

  it("refuses an invalid operator and Equal without a key", () => {
    const bad = minimal({
      placement: {
        tolerations: [
          { key: "a", operator: "Matches" },
          { operator: "Equal", value: "x" },
        ],
      },
    });
    expect(fieldsOf(() => parseWith(Workload, bad))).toEqual([
      "spec.placement.tolerations.0.operator",
      "spec.placement.tolerations.1.operator",
    ]);
  });
});
