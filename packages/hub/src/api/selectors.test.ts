import { API_VERSION, matches, parseLabelSelector, Workload } from "@gantry/shared";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore, type OpenDatabase, openDatabase, type Store } from "../store/index.ts";
import { workloadLabelFilter } from "./selectors.ts";

const KEYS = ["team", "env", "gantry.dev/tier"] as const;
const VALUES = ["a", "b", ""] as const;

describe("label selectors on stored workloads", () => {
  let database: OpenDatabase;
  let store: Store;
  const all: { name: string; labels: Record<string, string> }[] = [];

  beforeAll(async () => {
    database = await openDatabase({ dataDir: "memory://" });
    store = createStore(database.db);
    // Every combination of (absent, a, b, "") over three keys: 64 workloads.
    let i = 0;
    const choices = [undefined, ...VALUES];
    for (const x of choices)
      for (const y of choices)
        for (const z of choices) {
          const labels: Record<string, string> = {};
          [x, y, z].forEach((v, k) => {
            if (v !== undefined) labels[KEYS[k]!] = v;
          });
          const name = `w${i++}`;
          all.push({ name, labels });
          await store.workloads.create(
            Workload.parse({
              apiVersion: API_VERSION,
              kind: "Workload",
              metadata: { name, tenant: "t", labels },
              spec: { type: "job" },
            }),
            new Date(),
          );
        }
  }, 60_000);
  afterAll(async () => database?.close());

  const requirement = fc.oneof(
    fc
      .tuple(fc.constantFrom(...KEYS), fc.constantFrom("=", "!="), fc.constantFrom("a", "b"))
      .map(([k, o, v]) => `${k}${o}${v}`),
    fc
      .tuple(fc.constantFrom(...KEYS), fc.constantFrom("in", "notin"), fc.subarray(["a", "b"], { minLength: 1 }))
      .map(([k, o, vs]) => `${k} ${o} (${vs.join(",")})`),
    fc.tuple(fc.constantFrom(...KEYS), fc.boolean()).map(([k, not]) => `${not ? "!" : ""}${k}`),
  );

  it("selects in the database exactly what the in-memory matcher selects", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(requirement, { minLength: 1, maxLength: 3 }), async (reqs) => {
        const text = reqs.join(",");
        const expected = all
          .filter((w) => matches(parseLabelSelector(text), w.labels))
          .map((w) => w.name)
          .sort();
        const where = workloadLabelFilter(text);
        const page = await store.workloads.list({ ...(where ? { where } : {}), limit: 1_000 });
        expect(page.items.map((w) => w.name).sort()).toEqual(expected);
      }),
      { numRuns: 150, seed: 7 },
    );
  });
});
