import { ValidationError } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parseResources } from "./apply.ts";

const workload = {
  apiVersion: "gantry.dev/v1alpha1",
  kind: "Workload",
  metadata: {
    name: "train",
    tenant: "vision",
    uid: "u-1",
    resourceVersion: "7",
    creationTimestamp: "2026-01-01T00:00:00Z",
  },
  spec: {
    type: "job",
    replicas: 1,
    resources: { gpu: { count: 1 } },
    template: [{ apiVersion: "batch/v1", kind: "Job" }],
  },
  status: { phase: "Running" },
};
const budget = { apiVersion: "gantry.dev/v1alpha1", kind: "Budget", metadata: { name: "vision" }, spec: { perDay: 5 } };

describe("parseResources", () => {
  it("opens a kind: List (what get -o yaml prints) and drops what the hub sets", () => {
    const text = stringify({
      apiVersion: "gantry.dev/v1alpha1",
      kind: "List",
      items: [workload, { ...budget, status: { spentToday: 1 } }],
    });
    const r = parseResources(text, "list.yaml");
    expect(r.map((x) => `${x.kind}/${x.name}`)).toEqual(["Workload/train", "Budget/vision"]);
    expect(r[0]).toMatchObject({ kind: "Workload", tenant: "vision" });
  });

  it("reads several documents, datasets and clusters among them", () => {
    const text = [
      stringify(budget),
      stringify({
        apiVersion: "gantry.dev/v1alpha1",
        kind: "Dataset",
        metadata: { name: "imagenet" },
        spec: { sizeGB: 150 },
        status: { copies: [] },
      }),
      stringify({
        apiVersion: "gantry.dev/v1alpha1",
        kind: "Cluster",
        metadata: { name: "onprem-a" },
        spec: { tier: "onprem" },
      }),
    ].join("---\n");
    const r = parseResources(text, "f.yaml");
    expect(r).toEqual([
      expect.objectContaining({ kind: "Budget", name: "vision" }),
      { kind: "Dataset", name: "imagenet", body: { name: "imagenet", sizeGB: 150, locations: [] } },
      { kind: "Cluster", name: "onprem-a" },
    ]);
  });

  it("leaves a workload's tenant to -t or the hub when the document does not name one", () => {
    const { tenant: _t, ...meta } = workload.metadata;
    const r = parseResources(stringify({ ...workload, metadata: meta }), "w.yaml");
    expect(r[0]).toMatchObject({ kind: "Workload", tenant: undefined });
  });

  it("refuses an unknown kind and a bad field, naming the document and the field", () => {
    expect(() => parseResources(stringify({ kind: "Pod" }), "p.yaml")).toThrow(
      /p\.yaml \(document 1\).*kind: must be one of/,
    );
    const bad = { ...budget, spec: { perDay: -1 } };
    const list = stringify({ kind: "List", items: [budget, bad] });
    expect(() => parseResources(list, "l.yaml")).toThrow(ValidationError);
    expect(() => parseResources(list, "l.yaml")).toThrow(/items\[1\].*spec\.perDay/);
  });
});
