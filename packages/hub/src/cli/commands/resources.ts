import { Budget, BurstPolicy, issuesOf, parseDocuments, ValidationError, Workload } from "@gantry/shared";

const schemas = { BurstPolicy, Budget, Workload } as const;

/** Validate every document locally first, so a bad file changes nothing on the hub. */
export const parseResources = (text: string, file: string) =>
  parseDocuments(text, file).map((doc, i) => {
    const kind = (doc as { kind?: unknown }).kind;
    const where = `${file} (document ${i + 1})`;
    if (kind !== "BurstPolicy" && kind !== "Budget" && kind !== "Workload") {
      throw new ValidationError(
        [{ field: "kind", message: `must be BurstPolicy, Budget or Workload (got ${JSON.stringify(kind)})` }],
        where,
      );
    }
    const parsed = schemas[kind].safeParse(doc);
    if (!parsed.success) throw new ValidationError(issuesOf(parsed.error), where);
    return parsed.data;
  });
