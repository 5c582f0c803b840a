import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../parse.ts";
import { LabelSelector, type LabelSelectorInput, matches, parseLabelSelector } from "./selectors.ts";

const refusal = (text: string): string => {
  try {
    parseLabelSelector(text);
  } catch (e) {
    if (e instanceof ValidationError) return e.issues.map((i) => `${i.field}: ${i.message}`).join("; ");
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
};

describe("parseLabelSelector (labels.Parse + ParseToLabelSelector)", () => {
  // Good strings of apimachinery's TestSelectorParse (all but the gt/lt ones), with the selector each becomes.
  const good: [string, LabelSelectorInput][] = [
    ["", {}],
    ["x=a,y=b,z=c", { matchLabels: { x: "a", y: "b", z: "c" } }],
    ["x!=a,y=b", { matchLabels: { y: "b" }, matchExpressions: [{ key: "x", operator: "NotIn", values: ["a"] }] }],
    ["x=", { matchLabels: { x: "" } }],
    ["x= ", { matchLabels: { x: "" } }],
    ["x=,z= ", { matchLabels: { x: "", z: "" } }],
    ["x= ,z= ", { matchLabels: { x: "", z: "" } }],
    ["!x", { matchExpressions: [{ key: "x", operator: "DoesNotExist" }] }],
    ["x==a", { matchLabels: { x: "a" } }],
    ["notin=in", { matchLabels: { notin: "in" } }],
    [
      "x in (foo,,baz),y,z notin ()",
      {
        matchExpressions: [
          { key: "x", operator: "In", values: ["", "baz", "foo"] },
          { key: "y", operator: "Exists" },
          { key: "z", operator: "NotIn", values: [""] },
        ],
      },
    ],
    ["x in (b,a,b)", { matchExpressions: [{ key: "x", operator: "In", values: ["a", "b"] }] }],
    ["x in (a,)", { matchExpressions: [{ key: "x", operator: "In", values: ["", "a"] }] }],
    ["x in (,a)", { matchExpressions: [{ key: "x", operator: "In", values: ["", "a"] }] }],
    [
      "a=b,c!=d,e in (x,y),f notin (z),g,!h",
      {
        matchLabels: { a: "b" },
        matchExpressions: [
          { key: "c", operator: "NotIn", values: ["d"] },
          { key: "e", operator: "In", values: ["x", "y"] },
          { key: "f", operator: "NotIn", values: ["z"] },
          { key: "g", operator: "Exists" },
          { key: "h", operator: "DoesNotExist" },
        ],
      },
    ],
    [
      " app = web , example.com/tier in ( a , b ) ",
      {
        matchLabels: { app: "web" },
        matchExpressions: [{ key: "example.com/tier", operator: "In", values: ["a", "b"] }],
      },
    ],
    // ParseToLabelSelector would keep only a=y; an In keeps the meaning (nothing matches both).
    ["a=x,a=y", { matchLabels: { a: "x" }, matchExpressions: [{ key: "a", operator: "In", values: ["y"] }] }],
  ];
  it.each(good)("parses %j", (text, expected) => {
    expect(parseLabelSelector(text)).toEqual(LabelSelector.parse(expected));
  });

  const bad: [string, RegExp][] = [
    ["x=a||y=b", /found '\|\|y', expected: identifier|found/],
    ["x==a==b", /expected: ',' or 'end of string'/],
    ["!x=a", /found '=' at position 2, expected: ',' or 'end of string'/],
    ["x in (", /expected: ',', '\)' or identifier/],
    ["x in (a", /expected: ',' or '\)'/],
    ["x in a", /expected: '\('/],
    ["x notin", /expected: '\('/],
    ["a=b,", /identifier after ','/],
    [",a", /expected: !, identifier, or 'end of string'/],
    ["a b", /found 'b' at position 2, expected: in, notin, =, ==, !=/],
    ["x>1", /operator '>' isn't supported in label selectors/],
    ["x<1", /operator '<' isn't supported in label selectors/],
    ["Bad_Key-=1", /key 'Bad_Key-': name part/],
    ["a=not ok", /found 'ok'/],
    ["a=-bad", /value '-bad' of key 'a'/],
    ["a in (ok,bad!)", /found '!'/],
  ];
  it.each(bad)("refuses %j, saying why", (text, why) => {
    expect(refusal(text)).toMatch(/^labelSelector: /);
    expect(refusal(text)).toMatch(why);
  });

  it("names the field it was given", () => {
    expect(() => parseLabelSelector("a in", "selector")).toThrow(
      /^label selector is invalid: selector: unable to parse/,
    );
  });
});

describe("LabelSelector (ValidateLabelSelector)", () => {
  const issues = (input: unknown) =>
    (LabelSelector.safeParse(input).error?.issues ?? []).map((i) => `${i.path.join(".")}: ${i.message}`);

  it("requires values for In and NotIn and forbids them for Exists and DoesNotExist", () => {
    expect(issues({ matchExpressions: [{ key: "a", operator: "In" }] })).toEqual([
      "matchExpressions.0.values: must be specified when `operator` is 'In' or 'NotIn'",
    ]);
    expect(issues({ matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] })).toEqual([
      "matchExpressions.0.values: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    ]);
  });

  it("refuses another operator, a bad key, a bad value and an unknown field", () => {
    expect(issues({ matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }] })[0]).toMatch(
      /operator: not a valid selector operator/,
    );
    expect(issues({ matchExpressions: [{ key: "a b", operator: "Exists" }] })[0]).toMatch(/^matchExpressions.0.key: /);
    expect(issues({ matchExpressions: [{ key: "a", operator: "In", values: ["no way"] }] })[0]).toMatch(
      /^matchExpressions.0.values.0: a valid label/,
    );
    expect(issues({ matchLabels: { "a/b/c": "x" } })[0]).toMatch(/^matchLabels.a\/b\/c: /);
    expect(issues({ matchLabel: {} })[0]).toMatch(/Unrecognized key/);
  });
});

describe("matches (labels.Selector.Matches)", () => {
  // apimachinery's TestSelectorMatches and TestSelectorDoesNotMatch, plus the set-based operators.
  const table: [string, Record<string, string>, boolean][] = [
    ["", { x: "y" }, true],
    ["", {}, true],
    ["x=y", { x: "y" }, true],
    ["x=y,z=w", { x: "y", z: "w" }, true],
    ["x!=y,z!=w", { x: "z", z: "a" }, true],
    ["notin=in", { notin: "in" }, true],
    ["x", { x: "z" }, true],
    ["!x", { y: "z" }, true],
    ["x=", { x: "" }, true],
    ["x in (a,b)", { x: "b" }, true],
    ["x notin (a,b)", { x: "c" }, true],
    ["x notin (a,b)", {}, true],
    ["x!=y", {}, true],
    ["x=z", {}, false],
    ["x=y", { x: "z" }, false],
    ["x=y,z=w", { x: "w", z: "w" }, false],
    ["x!=y,z!=w", { x: "z", z: "w" }, false],
    ["x", { y: "z" }, false],
    ["!x", { x: "z" }, false],
    ["x=", { x: "a" }, false],
    ["x in (a,b)", { x: "c" }, false],
    ["x in (a,b)", {}, false],
    ["x notin (a,b)", { x: "a" }, false],
    ["a=x,a=y", { a: "x" }, false],
    ["constructor", {}, false],
    ["!toString", {}, true],
  ];
  it.each(table)("%j on %j is %s", (text, labels, expected) => {
    expect(matches(parseLabelSelector(text), labels)).toBe(expected);
  });

  type Req = { key: string; op: "=" | "!=" | "in" | "notin" | "exists" | "!"; values: readonly string[] };
  const key = fc.constantFrom("a", "b", "example.com/c");
  const value = fc.constantFrom("", "x", "y");
  const req: fc.Arbitrary<Req> = fc.oneof(
    fc.record({ key, op: fc.constantFrom("=" as const, "!=" as const), values: fc.tuple(value) }),
    fc.record({
      key,
      op: fc.constantFrom("in" as const, "notin" as const),
      values: fc.uniqueArray(value, { minLength: 1, maxLength: 3 }),
    }),
    fc.record({ key, op: fc.constantFrom("exists" as const, "!" as const), values: fc.constant([]) }),
  );
  const render = (r: Req): string => {
    if (r.op === "exists") return r.key;
    if (r.op === "!") return `!${r.key}`;
    if (r.op === "in" || r.op === "notin") return `${r.key} ${r.op} (${r.values.join(",")})`;
    return `${r.key}${r.op}${r.values[0]}`;
  };
  // Kubernetes' meaning of each requirement on a label set, evaluated on the requirements themselves.
  const holds = (r: Req, labels: Record<string, string>): boolean => {
    const v = Object.hasOwn(labels, r.key) ? labels[r.key] : undefined;
    switch (r.op) {
      case "=":
      case "in":
        return v !== undefined && r.values.includes(v);
      case "!=":
      case "notin":
        return v === undefined || !r.values.includes(v);
      case "exists":
        return v !== undefined;
      case "!":
        return v === undefined;
    }
  };

  it("agrees with the requirements' own meaning on random selectors and labels", () => {
    const labels = fc.dictionary(key, value, { maxKeys: 3 });
    fc.assert(
      fc.property(fc.array(req, { maxLength: 5 }), labels, (reqs, ls) => {
        const selector = parseLabelSelector(reqs.map(render).join(","));
        expect(matches(selector, ls)).toBe(reqs.every((r) => holds(r, ls)));
      }),
    );
  });
});
