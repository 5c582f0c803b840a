import type { z } from "zod";
import type { FieldIssue } from "../parse.ts";

/*
 * Strict field validation, as the Kubernetes API server's `fieldValidation=Strict` does it: every object schema is a
 * `z.strictObject`, so an unknown field is an error, and these helpers turn zod's `unrecognized_keys` issue into one
 * message per field with the field that was probably meant ("unknown field spec.resource; did you mean
 * spec.resources?"). The candidates come from the schema itself, walked to the issue's path.
 */

type Schema = z.core.$ZodType;
type Segment = PropertyKey;

/** Most schemas wrap another one; these are the wrappers that do not change which fields an object accepts. */
const inner = (schema: Schema): Schema[] => {
  const def = (schema as z.core.$ZodTypes)._zod.def;
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "nonoptional":
    case "catch":
    case "readonly":
    case "success":
      return [def.innerType];
    case "lazy":
      return [def.getter()];
    // `z.preprocess` is a pipe from a transform to the schema; both ends are searched.
    case "pipe":
      return [def.in, def.out];
    case "union":
      return [...def.options];
    case "intersection":
      return [def.left, def.right];
    default:
      return [];
  }
};

/** The object, array, record and tuple schemas `schema` stands for, once the wrappers are peeled off. */
const leaves = (schema: Schema, seen = new Set<Schema>()): Schema[] => {
  if (seen.has(schema)) return [];
  seen.add(schema);
  const wrapped = inner(schema);
  return wrapped.length === 0 ? [schema] : wrapped.flatMap((s) => leaves(s, seen));
};

/** The schemas one step down `segment` from `schema`. */
const step = (schema: Schema, segment: Segment): Schema[] =>
  leaves(schema).flatMap((leaf): Schema[] => {
    const def = (leaf as z.core.$ZodTypes)._zod.def;
    switch (def.type) {
      case "object": {
        const field = typeof segment === "string" ? def.shape[segment] : undefined;
        if (field) return [field];
        return def.catchall ? [def.catchall] : [];
      }
      case "array":
        return typeof segment === "number" ? [def.element] : [];
      case "tuple": {
        if (typeof segment !== "number") return [];
        const item = def.items[segment];
        if (item) return [item];
        return def.rest ? [def.rest] : [];
      }
      case "record":
        return [def.valueType];
      default:
        return [];
    }
  });

/** The field names the objects at `path` in `schema` accept (several when a union or pipe offers several shapes). */
export const fieldsAt = (schema: Schema, path: readonly Segment[]): string[] => {
  let here: Schema[] = [schema];
  for (const segment of path) here = here.flatMap((s) => step(s, segment));
  const names = new Set<string>();
  for (const leaf of here.flatMap((s) => leaves(s))) {
    const def = (leaf as z.core.$ZodTypes)._zod.def;
    if (def.type === "object") for (const name of Object.keys(def.shape)) names.add(name);
  }
  return [...names];
};

/** Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1. */
export const editDistance = (a: string, b: string): number => {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
};

const normalise = (s: string): string => s.toLowerCase().replaceAll(/[-_ ]/g, "");
/** Longer than this, a name is not a typo of a field (and the distance table stays small). */
const MAX_COMPARED = 64;

/**
 * The candidate `unknown` most likely stands for: the same word in another case or with `_`/`-` (`max_runtime_hours`),
 * one edit away (two for names of five or more letters: `placment`, `replica`, `resource`; a third of the letters for
 * names of nine or more: `afterSecs`), or a prefix of at least three letters (`memory` for `memoryGiB`). Undefined
 * when nothing is close.
 */
export const suggestField = (unknown: string, candidates: readonly string[]): string | undefined => {
  if (unknown.length > MAX_COMPARED) return undefined;
  const typed = normalise(unknown);
  let best: { name: string; score: number } | undefined;
  for (const name of candidates) {
    if (name === unknown) continue;
    const known = normalise(name);
    let score: number;
    if (known === typed) score = 0;
    else {
      const distance = editDistance(typed, known);
      const shorter = Math.min(typed.length, known.length);
      const allowed = Math.max(shorter >= 5 ? 2 : 1, Math.floor(shorter / 3));
      if (distance <= allowed) score = distance;
      else if (typed.length >= 3 && (known.startsWith(typed) || typed.startsWith(known))) score = 3;
      else continue;
    }
    if (!best || score < best.score) best = { name, score };
  }
  return best?.name;
};

/** A path as users write it: `spec.template.0.kind`. */
export const fieldPath = (path: readonly Segment[]): string => path.map(String).join(".");

/**
 * One message per unknown field at `path`, with the field meant when one is close. `present` are the fields the
 * object does have: a suggestion of one of those would only confuse.
 */
export const unknownFields = (
  schema: Schema | undefined,
  path: readonly Segment[],
  keys: readonly string[],
  present: readonly string[] = [],
): { field: string; message: string }[] => {
  const candidates = schema ? fieldsAt(schema, path).filter((f) => !present.includes(f)) : [];
  return keys.map((key) => {
    const field = fieldPath([...path, key]);
    const meant = suggestField(key, candidates);
    return {
      field,
      message:
        meant === undefined
          ? `unknown field ${field}`
          : `unknown field ${field}; did you mean ${fieldPath([...path, meant])}?`,
    };
  });
};

// ---- zod issues as field issues ------------------------------------------------------------------------------

type Issue = z.core.$ZodIssue;

/** A failed union: the branch that came closest (fewest issues, none about the value's own type) stands for it. */
const closestBranch = (branches: readonly Issue[][]): Issue[] | undefined => {
  const ranked = branches
    .filter((b) => b.length > 0)
    .map((b) => ({ b, rootType: b.some((i) => i.path.length === 0 && i.code === "invalid_type") ? 1 : 0 }))
    .sort((x, y) => x.rootType - y.rootType || x.b.length - y.b.length);
  return ranked[0]?.b;
};

/** A FieldIssue with the path it came from (a label key's dots are not separators). */
export type Located = FieldIssue & { path: readonly PropertyKey[] };

const flatten = (issue: Issue, prefix: readonly PropertyKey[], schema: z.core.$ZodType | undefined): Located[] => {
  const path = [...prefix, ...issue.path];
  switch (issue.code) {
    case "unrecognized_keys": {
      const present = issue.input && typeof issue.input === "object" ? Object.keys(issue.input) : [];
      return unknownFields(schema, path, issue.keys, present).map((u, i) => ({
        ...u,
        path: [...path, issue.keys[i]!],
      }));
    }
    case "invalid_key": {
      const why = issue.issues.map((i) => i.message).join("; ");
      return [{ field: fieldPath(path), message: `invalid key ${JSON.stringify(String(path.at(-1)))}: ${why}`, path }];
    }
    case "invalid_union": {
      const branch = issue.errors.length > 0 ? closestBranch(issue.errors) : undefined;
      if (branch) return branch.flatMap((i) => flatten(i, path, schema));
      return [{ field: fieldPath(path), message: issue.message, path }];
    }
    case "invalid_type":
      // With `reportInput`, a missing field is one whose input is undefined: say so plainly.
      if ("input" in issue && issue.input === undefined) {
        return [{ field: fieldPath(path), message: `required: expected ${issue.expected}`, path }];
      }
      return [{ field: fieldPath(path), message: issue.message, path }];
    default:
      return [{ field: fieldPath(path), message: issue.message, path }];
  }
};

/** zod's issues as FieldIssues, each with the path it came from. */
export const located = (error: z.ZodError, schema?: z.core.$ZodType): Located[] =>
  error.issues.flatMap((i) => flatten(i, [], schema));

/**
 * zod's issues as FieldIssues: one per unknown field (with the field meant, when `schema` is given), record keys and
 * failed unions explained by what went wrong inside them.
 */
export const issuesOf = (error: z.ZodError, schema?: z.core.$ZodType): FieldIssue[] =>
  located(error, schema).map(({ path: _, ...issue }) => issue);
