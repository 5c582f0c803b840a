import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseDocumentWith, readDocuments, ValidationError } from "./parse.ts";

/**
 * JSON maps and lists are read with JSON.parse when that gives what the YAML reader gives. The YAML reader is the
 * independent model: a leading comment makes the same text YAML-only (JSON has no comments), so it takes that path.
 */
const outcome = (text: string): { value: unknown } | { refused: string[] } => {
  try {
    return { value: readDocuments(text).map((d) => d.value) };
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    return { refused: e.issues.map((i) => `${i.field}: ${i.message}`) };
  }
};
const asYaml = (text: string) => outcome(`# yaml\n${text}`);

describe("reading JSON", () => {
  it("reads every JSON map and list as the YAML reader does", () => {
    const doc = fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.array(fc.jsonValue()));
    fc.assert(
      fc.property(doc, fc.constantFrom(undefined, 0, 2, "\t"), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        expect(outcome(text)).toStrictEqual(asYaml(text));
      }),
      { numRuns: 500 },
    );
  });

  it("refuses a key written twice, as YAML does", () => {
    const text = '{\n  "a": 1,\n  "b": {"c": 1, "c": 2}\n}';
    expect(outcome(text)).toStrictEqual(asYaml(text));
    expect(() => readDocuments(text)).toThrow(/duplicate key "c".*line 3, column 17/);
  });

  it("counts no colon or bracket inside a string, escaped quotes included", () => {
    expect(outcome('{"a\\":[b": "c:{d", "e": ["\\\\", ":"]}')).toStrictEqual({
      value: [{ 'a":[b': "c:{d", e: ["\\", ":"] }],
    });
  });

  it("leaves what JSON.parse reads differently, or cannot read, to the YAML reader", () => {
    for (const text of [
      '{"__proto__": {"x": 1}}',
      '{"a": "\\u0000"}',
      '{"a": 1e999}',
      '{"a": 1,}',
      "{a: 1}",
      `${"[".repeat(70)}${"]".repeat(70)}`,
    ]) {
      expect(outcome(text), text).toStrictEqual(asYaml(text));
    }
  });

  it("still says on which line a field the schema refuses is", () => {
    const schema = z.strictObject({ name: z.string(), gpus: z.number().int() });
    const text = '{\n  "name": "train",\n  "gpus": 1.5\n}';
    try {
      parseDocumentWith(schema, text, "job.json");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).issues).toMatchObject([{ field: "gpus", line: 3, column: 3 }]);
    }
  });
});
