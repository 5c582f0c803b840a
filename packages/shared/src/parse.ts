import { parseAllDocuments } from "yaml";
import type { z } from "zod";

/** One problem with an input, named by its path (`spec.resources.gpu.count`). */
export interface FieldIssue {
  field: string;
  message: string;
}

/** Thrown when input does not match its schema; carries every issue with the field it concerns. */
export class ValidationError extends Error {
  readonly code = "validation_failed";
  constructor(
    readonly issues: FieldIssue[],
    readonly source = "input",
  ) {
    super(`${source} is invalid: ${issues.map((i) => `${i.field || "(root)"}: ${i.message}`).join("; ")}`);
    this.name = "ValidationError";
  }
}

export const issuesOf = (error: z.ZodError): FieldIssue[] =>
  error.issues.map((i) => ({ field: i.path.map(String).join("."), message: i.message }));

/** Parse `value` with `schema`, or throw a ValidationError naming each bad field. */
export const parseWith = <S extends z.ZodType>(schema: S, value: unknown, source?: string): z.infer<S> => {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(issuesOf(result.error), source);
  return result.data;
};

/** Parse JSON or YAML text (JSON is YAML) into plain values; one value per document. */
export const parseDocuments = (text: string, source = "input"): unknown[] => {
  const docs = parseAllDocuments(text);
  const out: unknown[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      throw new ValidationError(
        [{ field: "", message: `not valid YAML or JSON: ${e?.message ?? "parse error"}` }],
        source,
      );
    }
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
};

/** Parse text holding exactly one document. */
export const parseDocument = (text: string, source = "input"): unknown => {
  const docs = parseDocuments(text, source);
  if (docs.length !== 1) {
    throw new ValidationError([{ field: "", message: `expected one document, found ${docs.length}` }], source);
  }
  return docs[0];
};
