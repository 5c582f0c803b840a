import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  parseDocument,
  parseDocuments,
  parseDocumentWith,
  parseWith,
  readDocuments,
  ValidationError,
} from "./parse.ts";
import { LIMITS } from "./schemas/limits.ts";
import { API_VERSION, Workload } from "./schemas/workload.ts";

const MAX_ALIAS_COUNT = LIMITS.aliases.value;
const MAX_NESTING = LIMITS.nesting.value;

const errorOf = (run: () => unknown): ValidationError => {
  try {
    run();
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error("expected a ValidationError");
};

describe("parseDocuments", () => {
  it("reads YAML", () => {
    expect(parseDocuments("a: 1\nb: [x, y]\n")).toEqual([{ a: 1, b: ["x", "y"] }]);
  });

  it("reads JSON, which is YAML", () => {
    expect(parseDocuments('{"a": 1, "b": {"c": true}}')).toEqual([{ a: 1, b: { c: true } }]);
  });

  it("returns one value per document and skips empty ones", () => {
    expect(parseDocuments("a: 1\n---\n---\nb: 2\n")).toEqual([{ a: 1 }, { b: 2 }]);
    expect(parseDocuments("")).toEqual([]);
  });

  it("refuses broken text with a validation error naming the source", () => {
    const e = errorOf(() => parseDocuments("metadata: [unclosed", "job.yaml"));
    expect(e.code).toBe("validation_failed");
    expect(e.source).toBe("job.yaml");
    expect(e.issues[0]?.message).toMatch(/^not valid YAML or JSON/);
    expect(e.message).toMatch(/^job\.yaml is invalid: \(root\): not valid YAML or JSON/);
  });

  it("refuses broken text in a later document, with the line and column in the whole text", () => {
    const e = errorOf(() => parseDocuments("a: 1\n---\nb: [\n"));
    expect(e.issues[0]).toMatchObject({ line: 4, column: 1 });
    expect(e.message).toMatch(/\(line 4, column 1\)$/);
  });

  it("says where a syntax error is and what the parser saw there", () => {
    const e = errorOf(() => parseDocuments("spec:\n  type: job\n  gpu: [1, 2\n  cpu: 3\n"));
    expect(e.issues[0]).toMatchObject({ field: "", line: 4, column: 3 });
    expect(e.issues[0]?.message).toMatch(/end with a \]; saw `cpu: 3`$/);
  });

  it("refuses a duplicated key in YAML, naming the key and its line", () => {
    const e = errorOf(() => parseDocuments("spec:\n  replicas: 1\n  replicas: 3\n"));
    expect(e.issues).toEqual([
      { field: "", message: 'not valid YAML or JSON: duplicate key "replicas"; saw `replicas: 3`', line: 3, column: 3 },
    ]);
  });

  it("refuses a duplicated key in JSON, showing the text around it", () => {
    const json = `{"apiVersion": "${API_VERSION}", "kind": "Workload", "spec": {"type": "job", "type": "service"}}`;
    const e = errorOf(() => parseDocuments(json));
    expect(e.issues[0]?.message).toMatch(
      /^not valid YAML or JSON: duplicate key "type"; saw `\.\.\..*"type": "service"}}`$/,
    );
    expect(e.issues[0]).toMatchObject({ line: 1, column: json.lastIndexOf('"type"') + 1 });
  });

  it("refuses a map or list used as a key", () => {
    expect(errorOf(() => parseDocuments("? [a, b]\n: 1\n")).issues[0]).toMatchObject({ line: 1 });
  });

  it("refuses a billion-laughs alias bomb quickly instead of expanding it", () => {
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n";
    for (let i = 0; i < 9; i++) {
      const prev = i === 0 ? "a" : `b${i - 1}`;
      bomb += `b${i}: &b${i} [${Array(9).fill(`*${prev}`).join(", ")}]\n`;
    }
    const started = performance.now();
    const e = errorOf(() => parseDocuments(bomb, "bomb.yaml"));
    expect(performance.now() - started).toBeLessThan(500);
    expect(e.issues[0]?.message).toBe(
      `refused: YAML aliases expand more than ${MAX_ALIAS_COUNT} times (a resource exhaustion attack, or a mistake)`,
    );
  });

  it("keeps a few ordinary aliases", () => {
    expect(parseDocuments("base: &b { cpu: 2 }\none: *b\ntwo: *b\n")).toEqual([
      { base: { cpu: 2 }, one: { cpu: 2 }, two: { cpu: 2 } },
    ]);
  });

  it("refuses an alias to an anchor that does not exist", () => {
    expect(errorOf(() => parseDocuments("a: *nope\n")).issues[0]?.message).toMatch(/^not valid YAML or JSON: /);
  });

  it("refuses .inf and .nan anywhere, naming the field and its line", () => {
    const e = errorOf(() => parseDocuments("a:\n  b: [1, .inf]\nc: .nan\nd: -.Inf\n"));
    expect(e.issues.map((i) => [i.field, i.line])).toEqual([
      ["a.b.1", 2],
      ["c", 3],
      ["d", 4],
    ]);
    expect(e.issues[0]?.message).toBe("must be a finite number, not Infinity (YAML's .inf and .nan are not allowed)");
  });

  // Fuzzing found these: escaped, they pass the body's own NUL check, and PostgreSQL's jsonb then refused them (500).
  it("refuses a NUL written as an escape, in a value or a key, naming the field", () => {
    const e = errorOf(() => parseDocuments('{"spec": {"template": [{"kind": "a\\u0000b"}]}, "k\\u0000": 1}'));
    expect(e.issues.map((i) => [i.field, i.message])).toEqual([
      ["spec.template.0.kind", "must not contain a NUL character (U+0000)"],
      ["", 'key "k\\u0000" must not contain a NUL character (U+0000)'],
    ]);
    expect(errorOf(() => parseDocuments('a: "x\\0y"\n')).issues[0]?.field).toBe("a");
  });

  it("refuses a lone UTF-16 surrogate, and keeps a paired one", () => {
    expect(errorOf(() => parseDocuments('{"a": "\\ud800"}')).issues[0]).toMatchObject({
      field: "a",
      message: "must be valid Unicode (it holds a lone UTF-16 surrogate)",
    });
    expect(parseDocuments('{"a": "\\ud83d\\ude80"}')).toEqual([{ a: "🚀" }]);
  });

  it("keeps YAML 1.1 tags such as !!binary out of the values", () => {
    const [doc] = parseDocuments("a: !!binary aGk=\n") as [{ a: unknown }];
    expect(typeof doc.a).toBe("string");
  });

  it("refuses nesting deeper than any schema before the parser recurses into it, saying where", () => {
    const flow = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    // The gauge over-estimates by one here (the top-level line counts as a level): the 64th bracket is refused.
    expect(errorOf(() => parseDocuments(flow)).issues).toEqual([
      { field: "", message: `nested more than ${MAX_NESTING} levels deep`, line: 1, column: MAX_NESTING },
    ]);
    // Indentation nests too; in one process, this second overflow once killed Node with a fatal RegExp error.
    const block = Array.from({ length: 2_000 }, (_, i) => `${" ".repeat(i)}a:`).join("\n");
    expect(errorOf(() => parseDocuments(block)).issues[0]).toMatchObject({ line: MAX_NESTING + 1 });
    expect(errorOf(() => parseDocuments(`${"- ".repeat(1_000)}x`)).issues[0]?.message).toMatch(/nested more than/);
    expect(errorOf(() => parseDocuments(`${"{a: ".repeat(1_000)}1${"}".repeat(1_000)}`)).issues).toHaveLength(1);
  });

  it("keeps deep but reasonable nesting, pretty-printed JSON included", () => {
    let value: unknown = 1;
    for (let i = 0; i < 60; i++) value = { a: value };
    expect(parseDocuments(JSON.stringify(value, null, 2))).toEqual([value]);
    const block = Array.from({ length: 60 }, (_, i) => `${"  ".repeat(i)}a:`).join("\n");
    expect(parseDocuments(`${block} 1\n# a comment at column 0\n`)).toHaveLength(1);
  });

  it("refuses aliases that nest the document past the limit, naming the field", () => {
    const nest = (n: number, inner: string) => `${"[".repeat(n)}${inner}${"]".repeat(n)}`;
    const e = errorOf(() => parseDocuments(`a: &a ${nest(40, "1")}\nb: ${nest(40, "*a")}\n`));
    expect(e.issues[0]?.message).toBe(`nested more than ${MAX_NESTING} levels deep`);
    expect(e.issues[0]?.field).toMatch(/^b(\.0)+$/);
  });
});

describe("parseDocument", () => {
  it("returns the single document", () => {
    expect(parseDocument("kind: Workload")).toEqual({ kind: "Workload" });
  });

  it("refuses text holding two documents, saying how many it found", () => {
    const e = errorOf(() => parseDocument("a: 1\n---\nb: 2\n", "fleet.yaml"));
    expect(e.issues).toEqual([{ field: "", message: "expected one document, found 2" }]);
    expect(e.source).toBe("fleet.yaml");
  });

  it("refuses empty text", () => {
    expect(errorOf(() => parseDocument("   \n")).issues[0]?.message).toBe("expected one document, found 0");
  });
});

describe("parseDocumentWith", () => {
  const job = (spec: string) =>
    `apiVersion: ${API_VERSION}\nkind: Workload\nmetadata:\n  name: train\n  labels:\n    example.com/team: vision\nspec:\n  type: job\n${spec}`;

  it("gives each field's line and column: unknown fields at their key, bad values at their key", () => {
    const e = errorOf(() => parseDocumentWith(Workload, job("  replica: 3\n  resources:\n    gpu: { count: -1 }\n")));
    expect(e.issues).toEqual([
      { field: "spec.resources.gpu.count", message: expect.stringMatching(/>=0|at least 0/), line: 11, column: 12 },
      {
        field: "spec.replica",
        message: "unknown field spec.replica; did you mean spec.replicas?",
        line: 9,
        column: 3,
      },
    ]);
    expect(e.message).toContain(
      "spec.replica: unknown field spec.replica; did you mean spec.replicas? (line 9, column 3)",
    );
  });

  it("finds a label whose key has dots and a slash", () => {
    const text = job("").replace("vision", "not ok!");
    expect(errorOf(() => parseDocumentWith(Workload, text)).issues[0]).toMatchObject({
      field: "metadata.labels.example.com/team",
      line: 6,
      column: 5,
    });
  });

  it("points a missing field at the object it is missing from", () => {
    const text = `apiVersion: ${API_VERSION}\nkind: Workload\nmetadata:\n  name: t\nspec:\n  replicas: 2\n`;
    expect(errorOf(() => parseDocumentWith(Workload, text)).issues[0]).toMatchObject({
      field: "spec.type",
      line: 5,
      column: 1,
    });
  });

  it("returns the parsed value when it is valid", () => {
    expect(parseDocumentWith(Workload, job("  replicas: 2\n")).spec.replicas).toBe(2);
  });
});

describe("parseWith", () => {
  it("names the source and every field, without positions when the input was not text", () => {
    const e = errorOf(() => parseWith(z.strictObject({ a: z.number() }), { a: "x", b: 1 }, "thing"));
    expect(e.source).toBe("thing");
    expect(e.issues.map((i) => i.field).sort()).toEqual(["a", "b"]);
    expect(e.issues.every((i) => i.line === undefined)).toBe(true);
  });

  it("never suggests a field the object already has", () => {
    const schema = z.strictObject({ replicas: z.number().optional() });
    expect(errorOf(() => parseWith(schema, { replicas: 1, replica: 2 })).issues).toEqual([
      { field: "replica", message: "unknown field replica" },
    ]);
  });

  it("reads several documents, each locating its own fields", () => {
    const [first, second] = readDocuments("a: 1\n---\nb:\n  c: 2\n");
    expect(first?.locate(["a"])).toEqual({ line: 1, column: 1 });
    expect(second?.locate(["b", "c"])).toEqual({ line: 4, column: 3 });
  });
});
