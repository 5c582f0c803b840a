import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parseDocumentWith } from "../parse.ts";
import { Budget, BurstPolicy } from "./policy.ts";
import { Workload } from "./workload.ts";

/**
 * What Gantry prints (`get -o yaml`, `-o json`) it reads back as the same thing (`apply -f`, `submit -f`): parse →
 * serialise → parse is the identity on valid documents, YAML and JSON alike. Values are drawn across their whole
 * bounds (priority ±1e9, tiny and huge doubles, unicode strings) because those are where serialisers disagree.
 */

const name = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/);
const text = fc.string({ minLength: 1, maxLength: 40, unit: "grapheme" }).filter((s) => /\S/.test(s));
const labelValue = fc.stringMatching(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,20}[A-Za-z0-9])?)?$/);
const amount = (max: number) => fc.double({ min: 0, max, noNaN: true, noDefaultInfinity: true });
const positive = (max: number) => fc.double({ min: 1e-9, max, noNaN: true, noDefaultInfinity: true });

const toleration = fc.oneof(
  fc.record({ operator: fc.constant("Exists" as const) }),
  fc.record(
    {
      key: name,
      operator: fc.constantFrom("Equal" as const, "Exists" as const),
      effect: fc.constantFrom("NoSchedule" as const, "PreferNoSchedule" as const),
    },
    { requiredKeys: ["key", "operator"] },
  ),
  fc.record({
    key: name,
    operator: fc.constant("Equal" as const),
    value: labelValue,
    effect: fc.constant("NoExecute" as const),
    tolerationSeconds: fc.integer({ min: 0, max: 2_592_000 }),
  }),
);

const manifest = fc.record({
  apiVersion: fc.constantFrom("batch/v1", "v1", "jobset.x-k8s.io/v1alpha2"),
  kind: fc.constantFrom("Job", "ConfigMap", "JobSet"),
  metadata: fc.record({ name }),
  data: fc.dictionary(name, text, { maxKeys: 3 }),
});

const workload = fc.record({
  apiVersion: fc.constant("gantry.dev/v1alpha1"),
  kind: fc.constant("Workload"),
  metadata: fc.record(
    {
      name,
      tenant: name,
      labels: fc.dictionary(name, labelValue, { maxKeys: 3 }),
      annotations: fc.dictionary(name, fc.string({ maxLength: 60, unit: "grapheme" }), { maxKeys: 3 }),
    },
    { requiredKeys: ["name"] },
  ),
  spec: fc.record(
    {
      type: fc.constant("job" as const),
      replicas: fc.integer({ min: 1, max: 10_000 }),
      gang: fc.boolean(),
      resources: fc.record({
        gpu: fc.record({
          count: fc.integer({ min: 0, max: 1_024 }),
          models: fc.array(text, { maxLength: 3 }),
          minMemoryGiB: amount(1_024),
        }),
        cpu: amount(65_536),
        memoryGiB: amount(262_144),
      }),
      data: fc.array(text, { maxLength: 3 }),
      placement: fc.record(
        {
          tiers: fc.subarray(["cloud", "onprem", "edge"] as const),
          regions: fc.array(text, { maxLength: 3 }),
          maxGpuHourPrice: amount(10_000),
          spot: fc.constantFrom("never" as const, "allowed" as const, "preferred" as const),
          tolerations: fc.array(toleration, { maxLength: 3 }),
          policy: name,
        },
        { requiredKeys: [] },
      ),
      durationHours: positive(87_600),
      maxRuntimeHours: positive(87_600),
      priority: fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }),
      restartable: fc.boolean(),
      checkpointMinutes: positive(10_080),
      template: fc.array(manifest, { maxLength: 3 }),
    },
    { requiredKeys: ["type"] },
  ),
});

const policy = fc.record({
  apiVersion: fc.constant("gantry.dev/v1alpha1"),
  kind: fc.constant("BurstPolicy"),
  metadata: fc.record({ name }),
  spec: fc.record({
    tenants: fc.array(name, { maxLength: 3 }),
    pools: fc.uniqueArray(
      fc.record({
        name,
        selector: fc.record({ tiers: fc.subarray(["cloud", "onprem", "edge"] as const), regions: fc.array(text) }),
        capacity: fc.constantFrom("any" as const, "spot" as const, "on-demand" as const),
      }),
      { minLength: 1, maxLength: 1, selector: (p) => p.name },
    ),
    caps: fc.record({ maxBurstGpus: fc.integer({ min: 0, max: 10_240_000 }) }, { requiredKeys: [] }),
  }),
});

const budget = fc.record({
  apiVersion: fc.constant("gantry.dev/v1alpha1"),
  kind: fc.constant("Budget"),
  metadata: fc.record({ name }),
  spec: fc.record({ perDay: amount(1e9), perMonth: amount(1e9), weight: positive(1_000_000) }, { requiredKeys: [] }),
});

describe("parse → serialise → parse is the identity", () => {
  it.each([
    ["Workload", Workload, workload],
    ["BurstPolicy", BurstPolicy, policy],
    ["Budget", Budget, budget],
  ] as const)("for a %s, in YAML and in JSON", { timeout: 120_000 }, (_, schema, arbitrary) => {
    fc.assert(
      fc.property(arbitrary as fc.Arbitrary<unknown>, (input) => {
        const parsed = (schema as typeof Workload).parse(input);
        expect(parseDocumentWith(schema, stringify(parsed), "yaml")).toEqual(parsed);
        expect(parseDocumentWith(schema, JSON.stringify(parsed, null, 2), "json")).toEqual(parsed);
      }),
      { numRuns: 100 },
    );
  });
});
