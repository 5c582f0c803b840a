import fc from "fast-check";
import { stringify } from "yaml";

/**
 * Generators of malformed requests for the hub's API: documents shaped like the real ones with one thing wrong
 * (a wrong type, a huge number, a typo'd or unknown field, deep nesting), texts that are not documents at all (random
 * bytes, invalid UTF-8, truncated YAML), random media types, and paths and query strings with odd characters.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A request as the fuzz suite sends it: method, path with query, headers, body. */
export interface FuzzRequest {
  method: "GET" | "POST" | "PUT";
  path: string;
  contentType: string | undefined;
  body: Uint8Array | undefined;
  /** The workload name the body would create, when it was shaped like one (to check nothing was stored). */
  names: string[];
}

/** Valid documents of every kind the API takes, named `name`: what the mutations start from. */
export const validDocuments = (name: string): { route: string; method: "POST" | "PUT"; doc: Json }[] => [
  {
    route: "/workloads",
    method: "POST",
    doc: {
      apiVersion: "gantry.dev/v1alpha1",
      kind: "Workload",
      metadata: { name, tenant: "fuzz", labels: { app: "x" } },
      spec: {
        type: "job",
        replicas: 1,
        gang: false,
        durationHours: 1,
        priority: 0,
        resources: { gpu: { count: 1, models: ["A100"], minMemoryGiB: 40 }, cpu: 4, memoryGiB: 32 },
        data: ["imagenet"],
        placement: {
          tiers: ["onprem", "cloud"],
          regions: ["eu-*"],
          spot: "allowed",
          maxGpuHourPrice: 10,
          tolerations: [{ key: "gpu", operator: "Equal", value: "a100", effect: "NoSchedule" }],
        },
        template: {
          apiVersion: "batch/v1",
          kind: "Job",
          metadata: { name },
          spec: {
            template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox" }] } },
          },
        },
      },
    },
  },
  {
    route: "/tenants/fuzz/workloads",
    method: "POST",
    doc: {
      apiVersion: "gantry.dev/v1alpha1",
      kind: "Workload",
      metadata: { name },
      spec: {
        type: "service",
        replicas: 2,
        resources: { gpu: { count: 1, models: ["L4"] }, cpu: 1, memoryGiB: 4 },
        autoscaling: { minReplicas: 1, maxReplicas: 2 },
      },
    },
  },
  {
    route: "/plan",
    method: "POST",
    doc: {
      apiVersion: "gantry.dev/v1alpha1",
      kind: "Workload",
      metadata: { name },
      spec: { type: "job", replicas: 2, gang: true, resources: { gpu: { count: 4 } } },
    },
  },
  {
    route: `/policies/${name}`,
    method: "PUT",
    doc: {
      apiVersion: "gantry.dev/v1alpha1",
      kind: "BurstPolicy",
      metadata: { name },
      spec: {
        tenants: ["fuzz"],
        pools: [
          { name: "onprem", selector: { tiers: ["onprem"] } },
          { name: "cloud", selector: { tiers: ["cloud"], regions: ["us-*"] }, capacity: "spot" },
        ],
        burst: { afterWaitSeconds: 60, whenUtilisationAbove: 0.8 },
        caps: { maxBurstGpus: 16, maxBurstSpendPerHour: 100 },
        drainBack: { enabled: true, afterSeconds: 300 },
      },
    },
  },
  {
    route: `/budgets/${name}`,
    method: "PUT",
    doc: {
      apiVersion: "gantry.dev/v1alpha1",
      kind: "Budget",
      metadata: { name },
      spec: { perDay: 100, perMonth: 2000, weight: 2 },
    },
  },
  {
    route: "/clusters",
    method: "POST",
    doc: {
      name,
      tier: "cloud",
      provider: "aws",
      region: "us-west-2",
      labels: { "gantry.dev/zone": "a" },
      taints: [{ key: "gpu", value: "h100", effect: "NoSchedule" }],
      pricing: { gpuHour: { H100: 6 }, spotGpuHour: { H100: 2 }, egressPerGB: 0.05 },
      spot: true,
      bandwidthGbps: 25,
    },
  },
  {
    route: `/datasets/${name}`,
    method: "PUT",
    doc: { name, sizeGB: 10, locations: ["onprem-a", "eu-*"], source: "s3://bucket/data", shards: 4 },
  },
  { route: "/tokens", method: "POST", doc: { name, role: "member", tenant: "fuzz" } },
];

/** Values of the wrong kind, out of range, or hostile in size or shape. */
const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    null,
    true,
    "",
    " ",
    -1,
    0,
    0.5,
    1e308,
    -1e308,
    2 ** 31,
    2 ** 40,
    2 ** 53 + 1,
    Number.MAX_SAFE_INTEGER,
    5e-324,
    "NaN",
    "Infinity",
    ".inf",
    "2^40",
    "1e400",
    "\u0000",
    "a\u0000b",
    "\ud800",
    "🚀",
    "$(x)",
    "%s%n",
    "'; drop table workloads; --",
    "x".repeat(70),
    "x".repeat(5_000),
    [],
    {},
    [[[[[[[[[[]]]]]]]]]],
  ),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 300, unit: "grapheme" }),
  fc.string({ maxLength: 40, unit: "binary" }),
  fc.array(fc.integer(), { maxLength: 200 }),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.integer({ min: 1, max: 120 }).map((depth) => {
    let v: Json = "deep";
    for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
    return v;
  }),
);

/** Paths into `doc` (map keys and list indices) down to its leaves. */
const pathsOf = (doc: Json, prefix: (string | number)[] = []): (string | number)[][] => {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(doc)) {
    for (const [i, v] of doc.entries()) out.push(...pathsOf(v, [...prefix, i]));
  } else if (doc !== null && typeof doc === "object") {
    for (const [k, v] of Object.entries(doc)) out.push(...pathsOf(v, [...prefix, k]));
  }
  return out;
};

type Mutation =
  | { kind: "set"; value: Json }
  | { kind: "delete" }
  | { kind: "rename"; to: string }
  | { kind: "typo"; at: number }
  | { kind: "add"; key: string; value: Json };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: hostileValue.map((value) => ({ kind: "set" as const, value })) },
  { weight: 1, arbitrary: fc.constant({ kind: "delete" as const }) },
  {
    weight: 1,
    arbitrary: fc.string({ minLength: 0, maxLength: 20 }).map((to) => ({ kind: "rename" as const, to })),
  },
  { weight: 2, arbitrary: fc.nat({ max: 30 }).map((at) => ({ kind: "typo" as const, at })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom("__proto__", "constructor", "status")),
        hostileValue,
      )
      .map(([key, value]) => ({ kind: "add" as const, key, value })),
  },
);

/** `doc` with `m` applied at `path` (a deep copy; the original is untouched). */
const mutate = (doc: Json, path: (string | number)[], m: Mutation): Json => {
  const copy = structuredClone(doc);
  if (path.length === 0) return m.kind === "set" ? m.value : copy;
  let parent: Json = copy;
  for (const p of path.slice(0, -1)) parent = (parent as Record<string, Json>)[p as string] as Json;
  const last = path.at(-1)!;
  const holder = parent as Record<string | number, Json>;
  switch (m.kind) {
    case "set":
      holder[last] = m.value;
      break;
    case "delete":
      if (Array.isArray(holder)) holder.splice(Number(last), 1);
      else delete holder[last];
      break;
    case "rename":
    case "typo": {
      if (Array.isArray(holder) || typeof last !== "string") break;
      const to =
        m.kind === "rename"
          ? m.to
          : // Drop, double or swap one letter: `replica`, `resourcess`, `placment`.
            [last.slice(0, -1), `${last}s`, last.slice(0, m.at % last.length) + last.slice((m.at % last.length) + 1)][
              m.at % 3
            ]!;
      const value = holder[last]!;
      delete holder[last];
      holder[to] = value;
      break;
    }
    case "add":
      if (holder[last] !== null && typeof holder[last] === "object" && !Array.isArray(holder[last])) {
        Object.defineProperty(holder[last], m.key, { value: m.value, enumerable: true, writable: true });
      } else holder[last] = m.value;
      break;
  }
  return copy;
};

const encoder = new TextEncoder();

/** How a document goes on the wire: JSON, YAML, or either damaged. */
const serialise = (doc: Json, how: number, cut: number): Uint8Array => {
  const json = JSON.stringify(doc) ?? "null";
  switch (how % 5) {
    case 0:
      return encoder.encode(json);
    case 1:
      return encoder.encode(stringify(doc, { aliasDuplicateObjects: false }));
    case 2:
      // Truncated: an unterminated document.
      return encoder.encode(json.slice(0, Math.max(1, Math.floor((json.length * (cut % 100)) / 100))));
    case 3: {
      // One byte flipped into something invalid in UTF-8 (a lone continuation byte or an overlong form).
      const bytes = encoder.encode(json);
      if (bytes.length > 0) bytes[cut % bytes.length] = [0x80, 0xc0, 0xff, 0xfe, 0x00][cut % 5]!;
      return bytes;
    }
    default:
      return encoder.encode(`${stringify(doc, { aliasDuplicateObjects: false })}${"  ".repeat(cut % 3)}\t: :\n`);
  }
};

/** Texts that are no document at all, or hostile ones. */
const junkBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 2_000 }),
  fc.string({ maxLength: 500, unit: "binary" }).map((s) => encoder.encode(s)),
  fc
    .constantFrom(
      "",
      " \n\t",
      "{",
      "[1,2",
      '{"a":1,"a":2}',
      "a: 1\na: 2",
      "!!binary aGVsbG8=",
      "!!js/function 'function(){}'",
      "? [a, b]\n: c",
      "{[1]: 2}",
      "---\na: 1\n---\nb: 2",
      "a: &a [1]\nb: *c",
      `a: &a ["x","x","x","x","x","x","x","x","x"]\n${Array.from({ length: 9 }, (_, i) => `b${i}: &b${i} [*${i === 0 ? "a" : `b${i - 1}`},*${i === 0 ? "a" : `b${i - 1}`},*${i === 0 ? "a" : `b${i - 1}`}]`).join("\n")}\n`,
      "[".repeat(10_000),
      "- ".repeat(2_000),
      `${"a:\n ".repeat(500)}x`,
      "\u0000",
      "\ufeff{}",
      "x: .nan",
      "x: 0x1F",
      "x: 1_000",
      "x: 2001-12-14t21:59:43.10-05:00",
      "priority: 1099511627776",
    )
    .map((s) => encoder.encode(s)),
);

/** Mostly types the hub reads (so mutations reach the schemas), sometimes anything at all. */
const mediaType: fc.Arbitrary<string | undefined> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom(
      undefined,
      "application/json",
      "application/yaml",
      "application/x-yaml",
      "text/yaml",
      "application/x-www-form-urlencoded",
      "application/json; charset=utf-8",
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      undefined,
      "application/json",
      "application/json; charset=utf-8",
      "application/merge-patch+json",
      "application/yaml",
      "application/x-yaml",
      "text/yaml",
      "text/plain",
      "application/x-www-form-urlencoded",
      "application/octet-stream",
      "multipart/form-data; boundary=x",
      "text/html",
      "image/png",
      "",
      ";",
      "application/json; charset=latin1",
      "APPLICATION/JSON",
      "*/*",
    ),
  },
  {
    weight: 1,
    // Only what a header may carry (Headers refuses control characters before anything is sent).
    arbitrary: fc.oneof(
      fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, "").trim()),
      fc.stringMatching(/^[a-z]{1,10}\/[a-z+.-]{1,15}$/),
    ),
  },
);

/** A path segment with odd characters, percent-encoded so it is a valid URL. */
const oddSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("%00", "a%00b", "..", "%2e%2e", "%2F", "a%2Fb", "%ff", "%", "%zz", "%c0%af", "~", "💥", " ", "A"),
  fc.string({ maxLength: 30, unit: "grapheme" }).map((s) => encodeURIComponent(s) || "x"),
  fc.string({ maxLength: 300 }).map((s) => encodeURIComponent(s) || "x"),
);

const queryString: fc.Arbitrary<string> = fc.oneof(
  fc.constant(""),
  fc
    .array(
      fc.tuple(
        fc.constantFrom(
          "limit",
          "continue",
          "phase",
          "tenant",
          "watch",
          "resourceVersion",
          "labelSelector",
          "view",
          "from",
          "to",
          "groupBy",
          "fieldValidation",
          "x",
        ),
        oddSegment,
      ),
      { maxLength: 4 },
    )
    .map((pairs) => (pairs.length === 0 ? "" : `?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}`)),
);

/** Reads: every GET route, with odd names and odd query strings (never a watch, which streams). */
const readPaths = [
  "/workloads",
  "/workloads/NAME",
  "/tenants/NAME/workloads",
  "/tenants/fuzz/workloads/NAME",
  "/tenants/fuzz/workloads/NAME/events",
  "/tenants/fuzz/workloads/NAME/explain",
  "/clusters",
  "/clusters/NAME",
  "/datasets",
  "/policies",
  "/policies/NAME",
  "/budgets",
  "/costs",
  "/tokens",
  "/audit",
  "/NAME",
];

/** `doc` with one to three mutations, on the wire as JSON or YAML, maybe damaged: for bodies and bus messages. */
export const mutatedBytes = (doc: Json): fc.Arbitrary<Uint8Array> =>
  fc
    .record({
      pathPick: fc.nat(),
      mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
      how: fc.nat(),
      cut: fc.nat(),
    })
    .map(({ pathPick, mutations, how, cut }) => {
      let out = doc;
      for (const [i, m] of mutations.entries()) {
        const paths = pathsOf(out);
        out = mutate(out, paths[(pathPick + i * 7919) % paths.length]!, m);
      }
      return serialise(out, how, cut);
    });

/** Junk or a mutation of one of `docs`: what the fuzz suite publishes on the bus. */
export const fuzzMessage = (docs: Json[]): fc.Arbitrary<Uint8Array> =>
  fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...docs).chain(mutatedBytes) }, { weight: 1, arbitrary: junkBody });

/** One request built from a valid document with one mutation (the bulk of the suite). */
const mutatedRequest = (index: number): fc.Arbitrary<FuzzRequest> =>
  fc
    .record({
      which: fc.nat(),
      pathPick: fc.nat(),
      mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
      how: fc.nat(),
      cut: fc.nat(),
      type: mediaType,
    })
    .map(({ which, pathPick, mutations, how, cut, type }) => {
      const name = `fz-${index}`;
      const docs = validDocuments(name);
      const base = docs[which % docs.length]!;
      let doc = base.doc;
      for (const [i, m] of mutations.entries()) {
        const paths = pathsOf(doc);
        doc = mutate(doc, paths[(pathPick + i * 7919) % paths.length]!, m);
      }
      return {
        method: base.method,
        path: base.route,
        contentType: type,
        body: serialise(doc, how, cut),
        names: [name],
      };
    });

/** A request whose body is junk, to a write route. */
const junkRequest = (index: number): fc.Arbitrary<FuzzRequest> =>
  fc.record({ which: fc.nat(), body: junkBody, type: mediaType }).map(({ which, body, type }) => {
    const docs = validDocuments(`fz-${index}`);
    const base = docs[which % docs.length]!;
    return { method: base.method, path: base.route, contentType: type, body, names: [] };
  });

/** A read or write to a path with odd characters and a random query. */
const oddPathRequest = (index: number): fc.Arbitrary<FuzzRequest> =>
  fc
    .record({
      which: fc.nat(),
      segment: oddSegment,
      query: queryString,
      write: fc.boolean(),
      type: mediaType,
    })
    .map(({ which, segment, query, write, type }) => {
      if (write) {
        // Writes to real routes, with the name in the URL replaced by odd characters.
        const docs = validDocuments(`fz-${index}`);
        const base = docs[which % docs.length]!;
        const path = base.route.replace(`fz-${index}`, segment).replace("/tenants/fuzz/", `/tenants/${segment}/`);
        return {
          method: base.method,
          path: `${path}${query}`,
          contentType: type,
          body: encoder.encode(JSON.stringify(base.doc)),
          names: [`fz-${index}`],
        };
      }
      const path = readPaths[which % readPaths.length]!.replace("NAME", segment);
      return { method: "GET" as const, path: `${path}${query}`, contentType: undefined, body: undefined, names: [] };
    });

/** The suite's mix: mostly mutated documents, then junk bodies, then odd paths. */
export const fuzzRequest = (index: number): fc.Arbitrary<FuzzRequest> =>
  fc.oneof(
    { weight: 6, arbitrary: mutatedRequest(index) },
    { weight: 2, arbitrary: junkRequest(index) },
    { weight: 2, arbitrary: oddPathRequest(index) },
  );
