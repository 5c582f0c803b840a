import { z } from "zod";
import { type FieldIssue, ValidationError } from "../parse.ts";
import { issuesOf } from "./fields.ts";
import { LabelKey, Labels, LabelValue, labelValueErrors, qualifiedNameErrors } from "./labels.ts";
import { boundedList, LIMITS } from "./limits.ts";

/*
 * Kubernetes label selectors (metav1.LabelSelector), in both forms: the object form with `matchLabels` and
 * `matchExpressions`, validated as k8s.io/apimachinery/pkg/apis/meta/v1/validation `ValidateLabelSelector` does, and
 * the string form kubectl takes with `-l` (`a=b,c!=d,e in (x,y),f notin (z),g,!h`), parsed as
 * k8s.io/apimachinery/pkg/labels/selector.go `Parse` does and converted as `metav1.ParseToLabelSelector` does.
 */

export const LabelSelectorOperator = z.enum(["In", "NotIn", "Exists", "DoesNotExist"], {
  error: () => "not a valid selector operator: must be In, NotIn, Exists or DoesNotExist",
});
export type LabelSelectorOperator = z.infer<typeof LabelSelectorOperator>;

/** One requirement: `In`/`NotIn` need values, `Exists`/`DoesNotExist` take none (`ValidateLabelSelectorRequirement`). */
export const LabelSelectorRequirement = z
  .strictObject({
    key: LabelKey,
    operator: LabelSelectorOperator,
    values: boundedList(LabelValue, LIMITS.listItems).default([]),
  })
  .superRefine((r, ctx) => {
    const set = r.operator === "In" || r.operator === "NotIn";
    if (set && r.values.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["values"],
        message: "must be specified when `operator` is 'In' or 'NotIn'",
      });
    }
    if (!set && r.values.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["values"],
        message: "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      });
    }
  });
export type LabelSelectorRequirement = z.infer<typeof LabelSelectorRequirement>;

/** Every `matchLabels` entry and every expression must hold; an empty selector matches everything. */
export const LabelSelector = z.strictObject({
  matchLabels: Labels.default({}),
  matchExpressions: boundedList(LabelSelectorRequirement, LIMITS.labels).default([]),
});
export type LabelSelector = z.infer<typeof LabelSelector>;
export type LabelSelectorInput = z.input<typeof LabelSelector>;

const has = (labels: Readonly<Record<string, string>>, key: string): boolean => Object.hasOwn(labels, key);

/** Whether `labels` satisfy `selector` (the semantics of `labels.Selector.Matches`). */
export const matches = (selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean => {
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    if (!has(labels, key) || labels[key] !== value) return false;
  }
  return selector.matchExpressions.every((r) => {
    const present = has(labels, r.key);
    if (r.operator === "Exists") return present;
    if (r.operator === "DoesNotExist") return !present;
    const listed = present && r.values.includes(labels[r.key]!);
    return r.operator === "In" ? listed : !listed;
  });
};

// ---- the string form -------------------------------------------------------------------------------------------

type TokenKind = "id" | "(" | ")" | "," | "!" | "=" | "==" | "!=" | "in" | "notin" | ">" | "<" | "end";
interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
}

const SYMBOLS = new Set(["(", ")", ",", "!", "=", "==", "!=", ">", "<"]);
const isSpecial = (ch: string): boolean => "=!(),<>".includes(ch);
const isSpace = (ch: string): boolean => ch === " " || ch === "\t" || ch === "\r" || ch === "\n";

class SelectorSyntaxError extends Error {}

/** The lexer of selector.go: whitespace separates, special symbols are read greedily, `in`/`notin` are keywords. */
const tokenize = (text: string): Token[] => {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (isSpace(ch)) {
      i++;
    } else if (isSpecial(ch)) {
      const two = text.slice(i, i + 2);
      // Every special character is a token on its own; `!=` and `==` are read greedily, as selector.go does.
      const sym = SYMBOLS.has(two) ? two : ch;
      tokens.push({ kind: sym as TokenKind, text: sym, pos: i });
      i += sym.length;
    } else {
      const start = i;
      while (i < text.length && !isSpace(text[i]!) && !isSpecial(text[i]!)) i++;
      const word = text.slice(start, i);
      tokens.push({ kind: word === "in" || word === "notin" ? word : "id", text: word, pos: start });
    }
  }
  tokens.push({ kind: "end", text: "end of string", pos: text.length });
  return tokens;
};

type Operator = "=" | "!=" | "in" | "notin" | "exists" | "!";
interface Requirement {
  key: string;
  op: Operator;
  values: string[];
}

/** The recursive-descent parser of selector.go over the tokens; values are returned as sorted sets. */
const parseRequirements = (tokens: readonly Token[]): Requirement[] => {
  let at = 0;
  // In the values context (and for keys), `in` and `notin` are plain identifiers, as in selector.go's lookahead.
  const peek = (): Token => {
    const t = tokens[at]!;
    return t.kind === "in" || t.kind === "notin" ? { ...t, kind: "id" } : t;
  };
  const next = (): Token => {
    const t = peek();
    at++;
    return t;
  };
  const fail = (t: Token, expected: string): never => {
    throw new SelectorSyntaxError(`found '${t.text}' at position ${t.pos}, expected: ${expected}`);
  };
  const identifiersList = (): string[] => {
    const values = new Set<string>();
    for (;;) {
      const t = next();
      if (t.kind === "id") {
        values.add(t.text);
        const after = peek();
        if (after.kind === ",") continue;
        if (after.kind === ")") return [...values];
        fail(after, "',' or ')'");
      } else if (t.kind === ",") {
        // `(,`, `,,` and `,)` each stand for an empty value.
        if (values.size === 0) values.add("");
        const after = peek();
        if (after.kind === ")") return [...values, ""];
        if (after.kind === ",") {
          next();
          values.add("");
        }
      } else {
        fail(t, "',', or identifier");
      }
    }
  };
  const valueSet = (): string[] => {
    const open = next();
    if (open.kind !== "(") fail(open, "'('");
    const first = peek();
    if (first.kind === ")") {
      next();
      return [""];
    }
    if (first.kind !== "id" && first.kind !== ",") fail(first, "',', ')' or identifier");
    const values = identifiersList();
    const close = next();
    if (close.kind !== ")") fail(close, "')'");
    return values;
  };
  const exactValue = (): string[] => {
    const t = peek();
    if (t.kind === "end" || t.kind === ",") return [""];
    next();
    if (t.kind !== "id") fail(t, "identifier");
    return [t.text];
  };
  const requirement = (): Requirement => {
    let t = next();
    const negated = t.kind === "!";
    if (negated) t = next();
    if (t.kind !== "id") fail(t, "identifier");
    const key = t.text;
    const after = peek();
    if (negated || after.kind === "end" || after.kind === ",") return { key, op: negated ? "!" : "exists", values: [] };
    const op = tokens[at]!;
    at++;
    switch (op.kind) {
      case "in":
      case "notin":
        return { key, op: op.kind, values: [...new Set(valueSet())].sort() };
      case "=":
      case "==":
        return { key, op: "=", values: exactValue() };
      case "!=":
        return { key, op: "!=", values: exactValue() };
      case ">":
      case "<":
        throw new SelectorSyntaxError(`operator '${op.text}' isn't supported in label selectors`);
      default:
        return fail(op, "in, notin, =, ==, !=");
    }
  };
  const out: Requirement[] = [];
  for (;;) {
    const t = peek();
    if (t.kind === "end") return out;
    if (t.kind !== "id" && t.kind !== "!") fail(t, "!, identifier, or 'end of string'");
    out.push(requirement());
    const sep = next();
    if (sep.kind === "end") return out;
    if (sep.kind !== ",") fail(sep, "',' or 'end of string'");
    const following = peek();
    if (following.kind !== "id" && following.kind !== "!") fail(following, "identifier after ','");
  }
};

/** `NewRequirement`'s checks: a qualified-name key and label values. */
const requirementErrors = (r: Requirement): string[] => [
  ...qualifiedNameErrors(r.key).map((m) => `key '${r.key}': ${m}`),
  ...r.values.flatMap((v) => labelValueErrors(v).map((m) => `value '${v}' of key '${r.key}': ${m}`)),
];

/**
 * Parse kubectl's `-l` form into a LabelSelector: `a=b` and `a==b` become `matchLabels`, `a!=b` becomes
 * `NotIn [b]`, `in`/`notin` keep their sorted values, `g` is `Exists`, `!h` is `DoesNotExist`. An empty string
 * selects everything. Throws a ValidationError naming `field` on bad syntax or bad keys and values.
 */
export const parseLabelSelector = (text: string, field = "labelSelector"): LabelSelector => {
  const refuse = (issues: FieldIssue[]): never => {
    throw new ValidationError(issues, "label selector");
  };
  let requirements: Requirement[] = [];
  try {
    requirements = parseRequirements(tokenize(text));
  } catch (e) {
    if (!(e instanceof SelectorSyntaxError)) throw e;
    refuse([{ field, message: `unable to parse requirement: ${e.message}` }]);
  }
  const problems = requirements.flatMap(requirementErrors);
  if (problems.length > 0) refuse(problems.map((message) => ({ field, message })));
  const matchLabels: Record<string, string> = {};
  const matchExpressions: LabelSelectorRequirement[] = [];
  for (const r of requirements) {
    const value = r.values[0] ?? "";
    if (r.op === "=" && (!has(matchLabels, r.key) || matchLabels[r.key] === value)) {
      matchLabels[r.key] = value;
      continue;
    }
    // ParseToLabelSelector overwrites a repeated `a=x,a=y`; an `In [y]` keeps its meaning (nothing matches).
    const operator = { "=": "In", "!=": "NotIn", in: "In", notin: "NotIn", exists: "Exists", "!": "DoesNotExist" }[
      r.op
    ] as LabelSelectorOperator;
    matchExpressions.push({ key: r.key, operator, values: r.values });
  }
  const parsed = LabelSelector.safeParse({ matchLabels, matchExpressions });
  if (!parsed.success) {
    refuse(issuesOf(parsed.error).map((i) => ({ field, message: `${i.field}: ${i.message}` })));
  }
  return parsed.data!;
};
