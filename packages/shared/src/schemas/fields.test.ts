import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseWith, ValidationError } from "../parse.ts";
import { FleetCluster } from "./cluster.ts";
import { editDistance, fieldsAt, issuesOf, suggestField } from "./fields.ts";
import { Fleet } from "./fleet.ts";
import { BurstPolicy } from "./policy.ts";
import { API_VERSION, Workload } from "./workload.ts";

const issues = (schema: z.ZodType, value: unknown) => {
  try {
    parseWith(schema, value);
  } catch (e) {
    if (e instanceof ValidationError) return e.issues;
    throw e;
  }
  throw new Error("expected a ValidationError");
};
const workload = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: "train" }) => ({
  apiVersion: API_VERSION,
  kind: "Workload",
  metadata,
  spec: { type: "job", ...spec },
});

describe("unknown fields", () => {
  it("refuses the misspellings a new user made, each with the field meant", () => {
    expect(issues(Workload, workload({ replica: 3 }))).toEqual([
      { field: "spec.replica", message: "unknown field spec.replica; did you mean spec.replicas?" },
    ]);
    expect(issues(Workload, workload({ resource: { gpu: { count: 2 } } }))).toEqual([
      { field: "spec.resource", message: "unknown field spec.resource; did you mean spec.resources?" },
    ]);
    expect(issues(Workload, workload({ placment: { tiers: ["cloud"] } }))).toEqual([
      { field: "spec.placment", message: "unknown field spec.placment; did you mean spec.placement?" },
    ]);
  });

  it("gives one issue per unknown field, at every depth", () => {
    const bad = workload(
      {
        resources: { gpus: 2, gpu: { count: 1, model: "A100" } },
        placement: {
          tolerations: [
            { key: "a", operator: "Exists" },
            { key: "b", efect: "NoSchedule" },
          ],
        },
        extra: true,
      },
      { name: "train", tenat: "vision", anotations: {} },
    );
    expect(issues(Workload, { ...bad, status: {} })).toEqual([
      { field: "metadata.tenat", message: "unknown field metadata.tenat; did you mean metadata.tenant?" },
      {
        field: "metadata.anotations",
        message: "unknown field metadata.anotations; did you mean metadata.annotations?",
      },
      {
        field: "spec.resources.gpu.model",
        message: "unknown field spec.resources.gpu.model; did you mean spec.resources.gpu.models?",
      },
      { field: "spec.resources.gpus", message: "unknown field spec.resources.gpus" },
      {
        field: "spec.placement.tolerations.1.efect",
        message: "unknown field spec.placement.tolerations.1.efect; did you mean spec.placement.tolerations.1.effect?",
      },
      { field: "spec.extra", message: "unknown field spec.extra" },
      { field: "status", message: "unknown field status" },
    ]);
  });

  it("finds fields inside arrays, records, extended objects and refined objects", () => {
    const fleet = {
      clusters: [{ name: "c", tier: "cloud", nodes: [{ name: "n", gpu: { model: "A100", count: 8, memoryGB: 80 } }] }],
    };
    expect(issues(Fleet, fleet)).toEqual([
      { field: "clusters.0.nodes.0.gpu.memoryGiB", message: "required: expected number" },
      {
        field: "clusters.0.nodes.0.gpu.memoryGB",
        message: "unknown field clusters.0.nodes.0.gpu.memoryGB; did you mean clusters.0.nodes.0.gpu.memoryGiB?",
      },
    ]);
    expect(issues(FleetCluster, { name: "c", tier: "cloud", healt: "ready" })[0]?.message).toBe(
      "unknown field healt; did you mean health?",
    );
    const policy = {
      apiVersion: API_VERSION,
      kind: "BurstPolicy",
      metadata: { name: "p" },
      spec: { pools: [{ name: "a", selector: { tier: ["cloud"] } }], drainBack: { afterSecs: 5 } },
    };
    expect(issues(BurstPolicy, policy).map((i) => i.message)).toEqual([
      "unknown field spec.pools.0.selector.tier; did you mean spec.pools.0.selector.tiers?",
      "unknown field spec.drainBack.afterSecs; did you mean spec.drainBack.afterSeconds?",
    ]);
  });

  it("walks records, unions, lazy, pipes, defaults, nullables and prefaults to the sibling fields", () => {
    type Tree = { name: string; children?: Tree[] };
    const Node: z.ZodType<Tree> = z.lazy(() =>
      z.strictObject({ name: z.string(), children: z.array(Node).optional() }),
    );
    const Schema = z.strictObject({
      byName: z.record(z.string(), z.strictObject({ weight: z.number() })).default({}),
      either: z.union([z.strictObject({ alpha: z.number() }), z.strictObject({ beta: z.string() })]).nullable(),
      tree: Node.optional(),
      piped: z.preprocess((v) => v, z.strictObject({ gamma: z.number() })).prefault({ gamma: 1 }),
    });
    const bad = {
      byName: { x: { wieght: 1 } },
      either: { alpah: 1 },
      tree: { name: "r", children: [{ name: "c", childern: [] }] },
      piped: { gama: 2 },
    };
    expect(issues(Schema, bad).filter((i) => i.message.startsWith("unknown"))).toEqual([
      { field: "byName.x.wieght", message: "unknown field byName.x.wieght; did you mean byName.x.weight?" },
      { field: "either.alpah", message: "unknown field either.alpah; did you mean either.alpha?" },
      {
        field: "tree.children.0.childern",
        message: "unknown field tree.children.0.childern; did you mean tree.children.0.children?",
      },
      { field: "piped.gama", message: "unknown field piped.gama; did you mean piped.gamma?" },
    ]);
    // The misspelt required fields are missing, and said so.
    expect(
      issues(Schema, bad)
        .filter((i) => i.message.startsWith("required"))
        .map((i) => i.field),
    ).toEqual(["byName.x.weight", "either.alpha", "piped.gamma"]);
    expect(fieldsAt(Schema, ["either"]).sort()).toEqual(["alpha", "beta"]);
    expect(fieldsAt(Schema, ["tree", "children", 3])).toEqual(["name", "children"]);
  });

  it("keeps the user's own manifests loose", () => {
    const w = parseWith(
      Workload,
      workload({ template: { apiVersion: "batch/v1", kind: "Job", spec: { anything: 1 } } }),
    );
    expect(w.spec.template[0]).toMatchObject({ spec: { anything: 1 } });
  });

  it("names unknown fields without a schema too, only without suggestions", () => {
    const r = z.strictObject({ a: z.number() }).safeParse({ a: 1, b: 2, c: 3 });
    expect(issuesOf(r.error!)).toEqual([
      { field: "b", message: "unknown field b" },
      { field: "c", message: "unknown field c" },
    ]);
  });

  it("explains a bad record key by what is wrong with it", () => {
    const r = z.record(z.string().max(2), z.number()).safeParse({ abc: 1 });
    expect(issuesOf(r.error!)).toEqual([
      { field: "abc", message: 'invalid key "abc": Too big: expected string to have <=2 characters' },
    ]);
  });
});

describe("suggestField", () => {
  // [typed, candidates, expected]
  const table: [string, string[], string | undefined][] = [
    ["replica", ["replicas", "gang"], "replicas"],
    ["resource", ["resources"], "resources"],
    ["placment", ["placement", "priority"], "placement"],
    ["toleratons", ["tolerations"], "tolerations"],
    ["prioirty", ["priority"], "priority"], // a swap of neighbours is one edit
    ["Replicas", ["replicas"], "replicas"],
    ["max_runtime_hours", ["maxRuntimeHours", "durationHours"], "maxRuntimeHours"],
    ["memory", ["memoryGiB", "cpu"], "memoryGiB"],
    ["gpus", ["gpu", "cpu"], "gpu"],
    ["cpus", ["gpu", "cpu"], "cpu"],
    ["tpye", ["type"], "type"],
    ["zzz", ["type", "gang"], undefined],
    ["annotations", ["name", "tenant", "labels"], undefined],
    ["xy", ["ab", "cd"], undefined],
    ["a".repeat(100), ["a".repeat(99)], undefined],
  ];
  it.each(table)("%s among %j suggests %s", (typed, candidates, expected) => {
    expect(suggestField(typed, candidates)).toBe(expected);
  });

  it("prefers the closest candidate", () => {
    expect(suggestField("gpuu", ["gpus", "gpu"])).toBe("gpus");
    expect(suggestField("regions", ["region", "regions2"])).toBe("region");
  });
});

describe("editDistance", () => {
  it.each([
    ["", "", 0],
    ["abc", "abc", 0],
    ["abc", "", 3],
    ["kitten", "sitting", 3],
    ["ab", "ba", 1],
    ["placment", "placement", 1],
  ] as const)("%s → %s is %i", (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});
