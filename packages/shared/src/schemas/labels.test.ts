import { describe, expect, it } from "vitest";
import { dns1123SubdomainErrors, Labels, labelValueErrors, qualifiedNameErrors } from "./labels.ts";

/*
 * The tables of k8s.io/apimachinery/pkg/util/validation/validation_test.go (TestIsQualifiedName,
 * TestIsValidLabelValue, TestIsDNS1123Subdomain), so a key or value is accepted here exactly when Kubernetes accepts it.
 */

const goodQualifiedNames = [
  "simple",
  "now-with-dashes",
  "1-starts-with-num",
  "1234",
  "simple/simple",
  "now-with-dashes/simple",
  "now-with-dashes/now-with-dashes",
  "now.with.dots/simple",
  "now-with.dashes-and.dots/simple",
  "1-num.2-num/3-num",
  "1234/5678",
  "1.2.3.4/5678",
  "Uppercase_Is_OK_123",
  "example.com/Uppercase_Is_OK_123",
  "requests.storage-foo",
  "a".repeat(63),
  `${"a".repeat(253)}/${"b".repeat(63)}`,
];
const badQualifiedNames = [
  "nospecialchars%^=@",
  "cantendwithadash-",
  "-cantstartwithadash-",
  "only/one/slash",
  "Example.com/abc",
  "example_com/abc",
  "example.com/",
  "/simple",
  "a".repeat(64),
  `${"a".repeat(254)}/abc`,
  "",
];
const goodLabelValues = [
  "simple",
  "now-with-dashes",
  "1-starts-with-num",
  "end-with-num-1",
  "1234",
  "a".repeat(63),
  "",
];
const badLabelValues = [
  "nospecialchars%^=@",
  "Tama-nui-te-rā",
  "\u2661",
  "cantendwithadash-",
  "-cantstartwithadash-",
  "only/one/slash",
  "a".repeat(64),
  "has space",
];
const goodSubdomains = [
  "a",
  "ab",
  "abc",
  "a1",
  "a-1",
  "a--1--2--b",
  "0",
  "01",
  "a.a",
  "a.b.c",
  "1.2.3",
  "a".repeat(253),
];
const badSubdomains = ["", "A", "ABC", "aBc", "A1", "a@b", "-", "a-", "-a", ".", "a.", ".a", "a..b", "a".repeat(254)];

describe("label keys (IsQualifiedName)", () => {
  it.each(goodQualifiedNames)("accepts %s", (v) => expect(qualifiedNameErrors(v)).toEqual([]));
  it.each(badQualifiedNames)("refuses %s", (v) => expect(qualifiedNameErrors(v).length).toBeGreaterThan(0));

  it("says which part is wrong, as Kubernetes does", () => {
    expect(qualifiedNameErrors("Example.com/abc")[0]).toMatch(/^prefix part a lowercase RFC 1123 subdomain/);
    expect(qualifiedNameErrors("example.com/")[0]).toBe("name part must be non-empty");
    expect(qualifiedNameErrors("a".repeat(64))).toEqual(["name part must be no more than 63 characters"]);
    expect(qualifiedNameErrors("a/b/c")[0]).toMatch(/^a qualified name must consist of alphanumeric characters/);
  });
});

describe("label values (IsValidLabelValue)", () => {
  it.each(goodLabelValues)("accepts %j", (v) => expect(labelValueErrors(v)).toEqual([]));
  it.each(badLabelValues)("refuses %j", (v) => expect(labelValueErrors(v).length).toBeGreaterThan(0));
});

describe("DNS-1123 subdomains", () => {
  it.each(goodSubdomains)("accepts %s", (v) => expect(dns1123SubdomainErrors(v)).toEqual([]));
  it.each(badSubdomains)("refuses %j", (v) => expect(dns1123SubdomainErrors(v).length).toBeGreaterThan(0));
});

describe("Labels", () => {
  it("accepts Kubernetes labels and names a bad key or value by its path", () => {
    expect(Labels.parse({ "topology.kubernetes.io/region": "eu-west4", team: "" })).toEqual({
      "topology.kubernetes.io/region": "eu-west4",
      team: "",
    });
    const r = Labels.safeParse({ "bad key": "x", ok: "not ok!" });
    expect(r.error?.issues.map((i) => [i.path.join("."), i.code])).toEqual([
      ["bad key", "invalid_key"],
      ["ok", "custom"],
    ]);
  });

  it("holds at most 64 labels", () => {
    const labels = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));
    expect(Labels.safeParse(labels(64)).success).toBe(true);
    expect(Labels.safeParse(labels(65)).error?.issues[0]?.message).toBe("must have at most 64 labels");
  });
});
