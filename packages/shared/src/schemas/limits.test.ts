import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { parseDocumentWith, parseWith, ValidationError } from "../parse.ts";
import { Dataset } from "./dataset.ts";
import { Fleet } from "./fleet.ts";
import { INT4_MAX, LIMITS, type Limit } from "./limits.ts";
import { Budget, BurstPolicy } from "./policy.ts";
import { API_VERSION, Workload } from "./workload.ts";

const fieldsOf = (schema: z.ZodType, value: unknown): string[] => {
  try {
    parseWith(schema, value);
    return [];
  } catch (e) {
    if (e instanceof ValidationError) return e.issues.map((i) => i.field);
    throw e;
  }
};

const workload = (spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) => ({
  apiVersion: API_VERSION,
  kind: "Workload",
  metadata: { name: "w", ...metadata },
  spec: { type: "job", ...spec },
});
const service = (spec: Record<string, unknown>) => workload({ type: "service", ...spec });
const fleet = (cluster: Record<string, unknown> = {}, more: Record<string, unknown> = {}) => ({
  clusters: [{ name: "c", tier: "cloud", ...cluster }],
  ...more,
});
const node = (n: Record<string, unknown>) => fleet({ nodes: [{ name: "n", ...n }] });
const policy = (spec: Record<string, unknown>) => ({
  apiVersion: API_VERSION,
  kind: "BurstPolicy",
  metadata: { name: "p" },
  spec: { pools: [{ name: "a" }], ...spec },
});
const budget = (spec: Record<string, unknown>) => ({
  apiVersion: API_VERSION,
  kind: "Budget",
  metadata: { name: "t" },
  spec,
});
const many = <T>(n: number, item: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => item(i));

interface NumberCase {
  name: string;
  schema: z.ZodType;
  input: (v: number) => unknown;
  field: string;
  limit: Limit;
  int?: boolean;
  /** The lower bound is exclusive 0. */
  positive?: boolean;
}

const numbers: NumberCase[] = [
  {
    name: "replicas",
    schema: Workload,
    input: (v) => workload({ replicas: v }),
    field: "spec.replicas",
    limit: LIMITS.replicas,
    int: true,
  },
  {
    name: "priority",
    schema: Workload,
    input: (v) => workload({ priority: v }),
    field: "spec.priority",
    limit: LIMITS.priority,
    int: true,
  },
  {
    name: "GPUs per replica",
    schema: Workload,
    input: (v) => workload({ resources: { gpu: { count: v } } }),
    field: "spec.resources.gpu.count",
    limit: LIMITS.gpusPerReplica,
    int: true,
  },
  {
    name: "GPU memory asked",
    schema: Workload,
    input: (v) => workload({ resources: { gpu: { minMemoryGiB: v } } }),
    field: "spec.resources.gpu.minMemoryGiB",
    limit: LIMITS.gpuMemoryGiB,
  },
  {
    name: "CPU per replica",
    schema: Workload,
    input: (v) => workload({ resources: { cpu: v } }),
    field: "spec.resources.cpu",
    limit: LIMITS.cpuCores,
  },
  {
    name: "memory per replica",
    schema: Workload,
    input: (v) => workload({ resources: { memoryGiB: v } }),
    field: "spec.resources.memoryGiB",
    limit: LIMITS.memoryGiB,
  },
  {
    name: "durationHours",
    schema: Workload,
    input: (v) => workload({ durationHours: v }),
    field: "spec.durationHours",
    limit: LIMITS.hours,
    positive: true,
  },
  {
    name: "maxRuntimeHours",
    schema: Workload,
    input: (v) => workload({ maxRuntimeHours: v }),
    field: "spec.maxRuntimeHours",
    limit: LIMITS.hours,
    positive: true,
  },
  {
    name: "failover.afterSeconds",
    schema: Workload,
    input: (v) => workload({ failover: { afterSeconds: v } }),
    field: "spec.failover.afterSeconds",
    limit: LIMITS.seconds,
    positive: true,
  },
  {
    name: "checkpointMinutes",
    schema: Workload,
    input: (v) => workload({ checkpointMinutes: v }),
    field: "spec.checkpointMinutes",
    limit: LIMITS.checkpointMinutes,
    positive: true,
  },
  {
    name: "maxGpuHourPrice",
    schema: Workload,
    input: (v) => workload({ placement: { maxGpuHourPrice: v } }),
    field: "spec.placement.maxGpuHourPrice",
    limit: LIMITS.gpuHourPrice,
  },
  {
    name: "tolerationSeconds",
    schema: Workload,
    input: (v) =>
      workload({
        placement: { tolerations: [{ key: "k", operator: "Exists", effect: "NoExecute", tolerationSeconds: v }] },
      }),
    field: "spec.placement.tolerations.0.tolerationSeconds",
    limit: LIMITS.seconds,
    int: true,
  },
  {
    name: "on-demand price",
    schema: Fleet,
    input: (v) => fleet({ pricing: { gpuHour: { H100: v } } }),
    field: "clusters.0.pricing.gpuHour.H100",
    limit: LIMITS.gpuHourPrice,
  },
  {
    name: "spot price",
    schema: Fleet,
    input: (v) => fleet({ pricing: { spotGpuHour: { H100: v } } }),
    field: "clusters.0.pricing.spotGpuHour.H100",
    limit: LIMITS.gpuHourPrice,
  },
  {
    name: "egress price",
    schema: Fleet,
    input: (v) => fleet({ pricing: { egressPerGB: v } }),
    field: "clusters.0.pricing.egressPerGB",
    limit: LIMITS.egressPerGB,
  },
  {
    name: "identical nodes",
    schema: Fleet,
    input: (v) => node({ count: v }),
    field: "clusters.0.nodes.0.count",
    limit: LIMITS.nodesPerGroup,
    int: true,
  },
  {
    name: "GPUs per node",
    schema: Fleet,
    input: (v) => node({ gpu: { model: "H100", count: v, memoryGiB: 80 } }),
    field: "clusters.0.nodes.0.gpu.count",
    limit: LIMITS.gpusPerNode,
    int: true,
  },
  {
    name: "GPUs in use",
    schema: Fleet,
    input: (v) => node({ gpusUsed: v }),
    field: "clusters.0.nodes.0.gpusUsed",
    limit: LIMITS.gpusPerNode,
    int: true,
  },
  {
    name: "GPU memory",
    schema: Fleet,
    input: (v) => node({ gpu: { model: "H100", count: 8, memoryGiB: v } }),
    field: "clusters.0.nodes.0.gpu.memoryGiB",
    limit: LIMITS.gpuMemoryGiB,
  },
  {
    name: "node CPU",
    schema: Fleet,
    input: (v) => node({ cpu: v }),
    field: "clusters.0.nodes.0.cpu",
    limit: LIMITS.cpuCores,
  },
  {
    name: "node memory",
    schema: Fleet,
    input: (v) => node({ memoryUsedGiB: v }),
    field: "clusters.0.nodes.0.memoryUsedGiB",
    limit: LIMITS.memoryGiB,
  },
  {
    name: "dataset size",
    schema: Dataset,
    input: (v) => ({ name: "d", sizeGB: v }),
    field: "sizeGB",
    limit: LIMITS.datasetSizeGB,
  },
  {
    name: "afterWaitSeconds",
    schema: BurstPolicy,
    input: (v) => policy({ burst: { afterWaitSeconds: v } }),
    field: "spec.burst.afterWaitSeconds",
    limit: LIMITS.seconds,
  },
  {
    name: "whenQueuedGpusAbove",
    schema: BurstPolicy,
    input: (v) => policy({ burst: { whenQueuedGpusAbove: v } }),
    field: "spec.burst.whenQueuedGpusAbove",
    limit: LIMITS.gpuCount,
    int: true,
  },
  {
    name: "maxBurstGpus",
    schema: BurstPolicy,
    input: (v) => policy({ caps: { maxBurstGpus: v } }),
    field: "spec.caps.maxBurstGpus",
    limit: LIMITS.gpuCount,
    int: true,
  },
  {
    name: "maxBurstSpendPerDay",
    schema: BurstPolicy,
    input: (v) => policy({ caps: { maxBurstSpendPerDay: v } }),
    field: "spec.caps.maxBurstSpendPerDay",
    limit: LIMITS.usd,
  },
  {
    name: "drain-back afterSeconds",
    schema: BurstPolicy,
    input: (v) => policy({ drainBack: { afterSeconds: v } }),
    field: "spec.drainBack.afterSeconds",
    limit: LIMITS.seconds,
  },
  {
    name: "budget per day",
    schema: Budget,
    input: (v) => budget({ perDay: v }),
    field: "spec.perDay",
    limit: LIMITS.usd,
  },
  {
    name: "budget per month",
    schema: Budget,
    input: (v) => budget({ perMonth: v }),
    field: "spec.perMonth",
    limit: LIMITS.usd,
  },
  {
    name: "fair-share weight",
    schema: Budget,
    input: (v) => budget({ weight: v }),
    field: "spec.weight",
    limit: LIMITS.weight,
    positive: true,
  },
];

describe("numeric bounds", () => {
  it.each(numbers)("$name: accepts its bounds and refuses past them, naming $field", (c) => {
    const low = c.positive ? Number.MIN_VALUE : c.limit.min;
    expect(fieldsOf(c.schema, c.input(c.limit.value))).toEqual([]);
    expect(fieldsOf(c.schema, c.input(c.int || c.positive ? Math.max(low, 1) : low))).toEqual([]);
    const over = c.int ? c.limit.value + 1 : c.limit.value * (1 + 1e-9);
    const under = c.positive ? 0 : c.int ? c.limit.min - 1 : c.limit.min - 1e-9;
    for (const v of [over, under, 2 ** 40, -(2 ** 40), Number.POSITIVE_INFINITY, Number.NaN]) {
      expect(fieldsOf(c.schema, c.input(v))).toEqual([c.field]);
    }
    if (c.int) expect(fieldsOf(c.schema, c.input(1.5))).toEqual([c.field]);
  });

  it("refuses the priority that crashed the database, and says the limit", () => {
    expect(() => parseWith(Workload, workload({ priority: 2 ** 40 }))).toThrow(
      /spec\.priority: must be at most 1000000000/,
    );
  });

  it("refuses YAML .inf and .nan in a workload, with their line", () => {
    const text = `apiVersion: ${API_VERSION}\nkind: Workload\nmetadata: { name: w }\nspec:\n  type: job\n  replicas: .inf\n  priority: .nan\n`;
    try {
      parseDocumentWith(Workload, text);
      throw new Error("expected a ValidationError");
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      expect(e.issues.map((i) => [i.field, i.line])).toEqual([
        ["spec.replicas", 6],
        ["spec.priority", 7],
      ]);
    }
  });
});

interface ListCase {
  name: string;
  schema: z.ZodType;
  input: (n: number) => unknown;
  field: string;
  limit: Limit;
}
const manifest = (i: number) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `m${i}` } });
const lists: ListCase[] = [
  {
    name: "template manifests",
    schema: Workload,
    input: (n) => workload({ template: many(n, manifest) }),
    field: "spec.template",
    limit: LIMITS.templateManifests,
  },
  {
    name: "tolerations",
    schema: Workload,
    input: (n) => workload({ placement: { tolerations: many(n, (i) => ({ key: `k${i}`, operator: "Exists" })) } }),
    field: "spec.placement.tolerations",
    limit: LIMITS.tolerations,
  },
  {
    name: "datasets used",
    schema: Workload,
    input: (n) => workload({ data: many(n, (i) => `d${i}`) }),
    field: "spec.data",
    limit: LIMITS.listItems,
  },
  {
    name: "GPU models",
    schema: Workload,
    input: (n) => workload({ resources: { gpu: { models: many(n, (i) => `m${i}`) } } }),
    field: "spec.resources.gpu.models",
    limit: LIMITS.listItems,
  },
  {
    name: "regions",
    schema: Workload,
    input: (n) => workload({ placement: { regions: many(n, (i) => `r${i}`) } }),
    field: "spec.placement.regions",
    limit: LIMITS.listItems,
  },
  {
    name: "workload labels",
    schema: Workload,
    input: (n) => workload({}, { labels: Object.fromEntries(many(n, (i) => [`k${i}`, "v"])) }),
    field: "metadata.labels",
    limit: LIMITS.labels,
  },
  {
    name: "taints",
    schema: Fleet,
    input: (n) => fleet({ taints: many(n, (i) => ({ key: `k${i}` })) }),
    field: "clusters.0.taints",
    limit: LIMITS.taints,
  },
  {
    name: "cluster labels",
    schema: Fleet,
    input: (n) => fleet({ labels: Object.fromEntries(many(n, (i) => [`k${i}`, "v"])) }),
    field: "clusters.0.labels",
    limit: LIMITS.labels,
  },
  {
    name: "prices",
    schema: Fleet,
    input: (n) => fleet({ pricing: { gpuHour: Object.fromEntries(many(n, (i) => [`m${i}`, 1])) } }),
    field: "clusters.0.pricing.gpuHour",
    limit: LIMITS.listItems,
  },
  {
    name: "pools",
    schema: BurstPolicy,
    input: (n) => policy({ pools: many(n, (i) => ({ name: `p${i}` })), burst: { afterWaitSeconds: 1 } }),
    field: "spec.pools",
    limit: LIMITS.pools,
  },
  {
    name: "tenants",
    schema: BurstPolicy,
    input: (n) => policy({ tenants: many(n, (i) => `t${i}`) }),
    field: "spec.tenants",
    limit: LIMITS.tenants,
  },
  {
    name: "dataset locations",
    schema: Dataset,
    input: (n) => ({ name: "d", sizeGB: 1, locations: many(n, (i) => `l${i}`) }),
    field: "locations",
    limit: LIMITS.locations,
  },
  {
    name: "clusters",
    schema: Fleet,
    input: (n) => ({ clusters: many(n, (i) => ({ name: `c${i}`, tier: "edge" })) }),
    field: "clusters",
    limit: LIMITS.clusters,
  },
];

describe("list bounds", () => {
  it.each(lists)("$name: at most the limit, naming $field", (c) => {
    expect(fieldsOf(c.schema, c.input(c.limit.value))).toEqual([]);
    expect(fieldsOf(c.schema, c.input(c.limit.value + 1))).toEqual([c.field]);
  });
});

describe("string bounds", () => {
  const cases: [string, z.ZodType, (s: string) => unknown, string, number][] = [
    ["workload name", Workload, (s) => workload({}, { name: s }), "metadata.name", LIMITS.nameLength.value],
    ["tenant", Workload, (s) => workload({}, { tenant: s }), "metadata.tenant", LIMITS.nameLength.value],
    ["region", Fleet, (s) => fleet({ region: s }), "clusters.0.region", LIMITS.stringLength.value],
    [
      "GPU model",
      Workload,
      (s) => workload({ resources: { gpu: { models: [s] } } }),
      "spec.resources.gpu.models.0",
      LIMITS.stringLength.value,
    ],
    [
      "label value",
      Workload,
      (s) => workload({}, { labels: { k: s } }),
      "metadata.labels.k",
      LIMITS.labelValueLength.value,
    ],
    [
      "manifest kind",
      Workload,
      (s) => workload({ template: [{ apiVersion: "v1", kind: s }] }),
      "spec.template.0.kind",
      LIMITS.stringLength.value,
    ],
  ];
  it.each(cases)("%s: at most its length", (_, schema, input, field, max) => {
    expect(fieldsOf(schema, input("a".repeat(max)))).toEqual([]);
    expect(fieldsOf(schema, input("a".repeat(max + 1)))).toEqual([field]);
  });

  it("label keys: a 253-character prefix and a 63-character name, no more", () => {
    const key = `${"a".repeat(253)}/${"b".repeat(63)}`;
    expect(key.length).toBe(LIMITS.labelKeyLength.value);
    expect(fieldsOf(Workload, workload({}, { labels: { [key]: "v" } }))).toEqual([]);
    expect(fieldsOf(Workload, workload({}, { labels: { [`a${key}`]: "v" } }))).toEqual([`metadata.labels.a${key}`]);
  });
});

describe("LIMITS", () => {
  it("names each limit by its key, with a finite value, a reason and a lower bound below it", () => {
    for (const [key, l] of Object.entries(LIMITS)) {
      expect(l.name).toBe(key);
      expect(Number.isFinite(l.value) && Number.isFinite(l.min)).toBe(true);
      expect(l.min).toBeLessThan(l.value);
      expect(l.why.length).toBeGreaterThan(10);
    }
  });

  it("fits the int4 columns: replicas, priority, generations, GPUs per replica", () => {
    for (const l of [LIMITS.replicas, LIMITS.priority, LIMITS.generation, LIMITS.gpusPerReplica]) {
      expect(l.value).toBeLessThanOrEqual(INT4_MAX);
      expect(l.min).toBeGreaterThanOrEqual(-INT4_MAX - 1);
    }
    // Policies can name any GPU total one workload can ask for.
    expect(LIMITS.replicas.value * LIMITS.gpusPerReplica.value).toBeLessThanOrEqual(LIMITS.gpuCount.value);
  });

  it("keeps a service's autoscaling within the replica limit", () => {
    expect(fieldsOf(Workload, service({ autoscaling: { maxReplicas: LIMITS.replicas.value, target: 1 } }))).toEqual([]);
    expect(fieldsOf(Workload, service({ autoscaling: { maxReplicas: LIMITS.replicas.value + 1, target: 1 } }))).toEqual(
      ["spec.autoscaling.maxReplicas"],
    );
  });
});
