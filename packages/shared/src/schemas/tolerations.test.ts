import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatTaint,
  Taint,
  type TaintEffect,
  type TaintInput,
  Taints,
  Toleration,
  type TolerationInput,
  tolerates,
  toleratesTaint,
  untoleratedTaints,
} from "./tolerations.ts";

const fieldsOf = (input: unknown) =>
  (Toleration.safeParse(input).error?.issues ?? []).map((i) => [i.path.join("."), i.message]);

describe("Toleration validation (ValidateTolerations)", () => {
  // The cases of kubernetes/kubernetes pkg/apis/core/validation TestValidateTolerations, and our defaults.
  const valid: TolerationInput[] = [
    { key: "foo", operator: "Exists", effect: "NoSchedule" },
    { key: "foo", operator: "Equal", value: "bar", effect: "NoSchedule" },
    { key: "foo", value: "bar" },
    { key: "foo" },
    { operator: "Exists" },
    { operator: "Exists", effect: "NoExecute" },
    { key: "", operator: "Exists" },
    { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
    { key: "example.com/dedicated", operator: "Equal", value: "" },
  ];
  it.each(valid)("accepts %j", (t) => expect(fieldsOf(t)).toEqual([]));

  const invalid: [string, unknown, string, RegExp][] = [
    ["a key that is not a qualified name", { key: "nospecialchars^=@", value: "bar" }, "key", /name part/],
    [
      "a value with Exists",
      { key: "foo", operator: "Exists", value: "bar" },
      "value",
      /must be empty when `operator` is 'Exists'/,
    ],
    ["an empty key with Equal", { operator: "Equal", value: "bar" }, "operator", /must be Exists when `key` is empty/],
    ["an empty key with the default operator", {}, "operator", /must be Exists when `key` is empty/],
    ["an operator Kubernetes does not define", { key: "foo", operator: "In" }, "operator", /must be Equal or Exists/],
    [
      "tolerationSeconds without NoExecute",
      { key: "foo", effect: "NoSchedule", tolerationSeconds: 20 },
      "effect",
      /must be 'NoExecute'/,
    ],
    ["tolerationSeconds without an effect", { key: "foo", tolerationSeconds: 20 }, "effect", /must be 'NoExecute'/],
    [
      "an effect Kubernetes does not define",
      { key: "foo", effect: "NoScheduleNoAdmit" },
      "effect",
      /NoSchedule, PreferNoSchedule or NoExecute/,
    ],
    ["a value that is not a label value", { key: "foo", value: "spaces are not allowed" }, "value", /a valid label/],
    [
      "negative tolerationSeconds",
      { key: "foo", effect: "NoExecute", tolerationSeconds: -1 },
      "tolerationSeconds",
      /at least 0/,
    ],
    ["an unknown field", { key: "foo", operater: "Exists" }, "", /Unrecognized key/],
  ];
  it.each(invalid)("refuses %s", (_, t, field, message) => {
    const issues = fieldsOf(t);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.some(([f, m]) => f === field && message.test(m ?? ""))).toBe(true);
  });

  it("defaults the operator to Equal, as Kubernetes does", () => {
    expect(Toleration.parse({ key: "foo" })).toEqual({ key: "foo", operator: "Equal" });
  });
});

describe("Taint validation (validateNodeTaints)", () => {
  it("requires a qualified-name key and a label value, and defaults to NoSchedule with an empty value", () => {
    expect(Taint.parse({ key: "dedicated" })).toEqual({ key: "dedicated", value: "", effect: "NoSchedule" });
    expect(Taint.safeParse({ key: "" }).success).toBe(false);
    expect(Taint.safeParse({ key: "Bad Key" }).success).toBe(false);
    expect(Taint.safeParse({ key: "k", value: "no spaces" }).success).toBe(false);
    expect(Taint.safeParse({ key: "k", effect: "Sometimes" }).success).toBe(false);
  });

  it("refuses two taints with the same key and effect", () => {
    const r = Taints.safeParse([
      { key: "a", value: "1", effect: "NoSchedule" },
      { key: "a", value: "2", effect: "NoExecute" },
      { key: "a", value: "3", effect: "NoSchedule" },
    ]);
    expect(r.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["2", "taints must be unique by key and effect pair"],
    ]);
  });

  it("prints taints as kubectl does", () => {
    expect(formatTaint(Taint.parse({ key: "gpu", value: "a100", effect: "NoExecute" }))).toBe("gpu=a100:NoExecute");
    expect(formatTaint(Taint.parse({ key: "gpu" }))).toBe("gpu:NoSchedule");
  });
});

describe("tolerates (Toleration.ToleratesTaint)", () => {
  // k8s.io/api/core/v1 toleration_test.go TestTolerationToleratesTaint, plus the rules its doc comment states.
  const table: [string, TolerationInput, TaintInput, boolean][] = [
    [
      "same key and effect, Exists, taint without value",
      { key: "foo", operator: "Exists", effect: "NoSchedule" },
      { key: "foo", effect: "NoSchedule" },
      true,
    ],
    [
      "same key and effect, Exists, taint with a value",
      { key: "foo", operator: "Exists", effect: "NoSchedule" },
      { key: "foo", value: "bar", effect: "NoSchedule" },
      true,
    ],
    [
      "same key, value and effect, Equal",
      { key: "foo", operator: "Equal", value: "bar", effect: "NoSchedule" },
      { key: "foo", value: "bar", effect: "NoSchedule" },
      true,
    ],
    [
      "same key and effect, Equal, different value",
      { key: "foo", operator: "Equal", value: "value1", effect: "NoSchedule" },
      { key: "foo", value: "value2", effect: "NoSchedule" },
      false,
    ],
    [
      "same key, different effect",
      { key: "foo", operator: "Equal", value: "bar", effect: "NoSchedule" },
      { key: "foo", value: "bar", effect: "NoExecute" },
      false,
    ],
    ["different key", { key: "foo", operator: "Exists" }, { key: "bar", effect: "NoSchedule" }, false],
    [
      "empty effect matches every effect",
      { key: "foo", operator: "Exists" },
      { key: "foo", effect: "NoExecute" },
      true,
    ],
    [
      "empty effect, Equal, same value",
      { key: "foo", value: "bar" },
      { key: "foo", value: "bar", effect: "PreferNoSchedule" },
      true,
    ],
    [
      "empty key and Exists tolerates every taint",
      { operator: "Exists" },
      { key: "anything", value: "x", effect: "NoExecute" },
      true,
    ],
    [
      "empty key, Exists, but another effect",
      { operator: "Exists", effect: "NoSchedule" },
      { key: "anything", effect: "NoExecute" },
      false,
    ],
    [
      "default operator Equal compares against the empty value",
      { key: "foo" },
      { key: "foo", effect: "NoSchedule" },
      true,
    ],
    ["default operator Equal is not Exists", { key: "foo" }, { key: "foo", value: "bar", effect: "NoSchedule" }, false],
    [
      "Exists ignores a value",
      { key: "foo", operator: "Exists" },
      { key: "foo", value: "anything", effect: "NoSchedule" },
      true,
    ],
  ];
  it.each(table)("%s → %s", (_, t, taint, expected) => {
    expect(toleratesTaint(Toleration.parse(t), Taint.parse(taint))).toBe(expected);
  });
});

describe("untoleratedTaints (FindMatchingUntoleratedTaint)", () => {
  const taints = [
    Taint.parse({ key: "a", value: "1", effect: "NoSchedule" }),
    Taint.parse({ key: "b", effect: "PreferNoSchedule" }),
    Taint.parse({ key: "c", effect: "NoExecute" }),
  ];

  it("returns the untolerated taints with the given effects, in order", () => {
    expect(untoleratedTaints([], taints)).toEqual([taints[0], taints[2]]);
    expect(untoleratedTaints([], taints, ["PreferNoSchedule"])).toEqual([taints[1]]);
    expect(untoleratedTaints([Toleration.parse({ key: "a", value: "1" })], taints)).toEqual([taints[2]]);
    expect(
      untoleratedTaints([Toleration.parse({ operator: "Exists" })], taints, [
        "NoSchedule",
        "PreferNoSchedule",
        "NoExecute",
      ]),
    ).toEqual([]);
  });

  const effect = fc.constantFrom<TaintEffect>("NoSchedule", "PreferNoSchedule", "NoExecute");
  const key = fc.constantFrom("a", "b", "example.com/c");
  const value = fc.constantFrom("", "x", "y");
  const taint = fc.record({ key, value, effect });
  const toleration = fc.oneof(
    fc.record({ key, operator: fc.constant("Exists" as const), effect: fc.option(effect, { nil: undefined }) }),
    fc.record({ key, operator: fc.constant("Equal" as const), value, effect: fc.option(effect, { nil: undefined }) }),
    fc.record({ operator: fc.constant("Exists" as const), effect: fc.option(effect, { nil: undefined }) }),
  );

  it("agrees with the Kubernetes rules stated as a truth table, on random taints and tolerations", () => {
    // An independent statement of the rules: a toleration covers a taint when each of its fields is a wildcard or equal.
    const covers = (t: TolerationInput, x: TaintInput): boolean =>
      (t.effect === undefined || t.effect === x.effect) &&
      (t.key === undefined || t.key === x.key) &&
      (t.operator === "Exists" || (t.value ?? "") === (x.value ?? ""));
    fc.assert(
      fc.property(fc.array(toleration, { maxLength: 4 }), fc.array(taint, { maxLength: 5 }), (ts, xs) => {
        const parsed = ts.map((t) => Toleration.parse(t));
        const left = untoleratedTaints(parsed, xs, ["NoSchedule", "NoExecute"]);
        const expected = xs.filter((x) => x.effect !== "PreferNoSchedule" && !ts.some((t) => covers(t, x)));
        expect(left).toEqual(expected);
        for (const x of xs) expect(tolerates(parsed, x)).toBe(ts.some((t) => covers(t, x)));
      }),
    );
  });
});
