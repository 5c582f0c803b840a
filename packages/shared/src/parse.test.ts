import { describe, expect, it } from "vitest";
import { parseDocument, parseDocuments, ValidationError } from "./parse.ts";

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

  it("refuses broken text in a later document", () => {
    expect(() => parseDocuments("a: 1\n---\nb: [\n")).toThrow(ValidationError);
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
