import { describe, expect, it } from "vitest";
import { compileMatcher } from "./glob.ts";

describe("compileMatcher", () => {
  it("matches exact names, prefix globs and ? / inner * globs on whole names", () => {
    const m = compileMatcher(["us-east-1", "eu-*", "ap-?-1", "x*y"]);
    for (const v of ["us-east-1", "eu-west-3", "eu-", "ap-a-1", "xy", "x-y"]) expect(m.matches(v), v).toBe(true);
    for (const v of ["us-east-2", "europe-west4", "ap-ab-1", "xya", ""]) expect(m.matches(v), v).toBe(false);
    expect(compileMatcher(["eu-*"]).matches("eu-central-1")).toBe(true);
    expect(compileMatcher(["eu-*", "us-*"]).matches("us-west-2")).toBe(true);
    expect(compileMatcher(["a.b*"]).matches("aXb")).toBe(false);
  });
});

describe("compileMatcher: the paths a pattern list takes", () => {
  const check = (patterns: string[], yes: string[], no: string[]) => {
    const m = compileMatcher(patterns);
    for (const v of yes) expect(m.matches(v), `${patterns.join(",")} ~ ${v}`).toBe(true);
    for (const v of no) expect(m.matches(v), `${patterns.join(",")} !~ ${v}`).toBe(false);
  };

  it("labels the patterns as written", () => {
    expect(compileMatcher(["eu-*", "us-east-1"]).label).toBe("eu-*, us-east-1");
    expect(compileMatcher(["a"]).label).toBe("a");
  });

  it("matches names alone exactly", () => {
    check(["us-east-1", "eu-west-1"], ["us-east-1", "eu-west-1"], ["us-east", "us-east-10", "eu-west-1x", ""]);
  });

  it("keeps exact names beside a single prefix glob", () => {
    check(["a", "eu-*"], ["a", "eu-", "eu-x"], ["ab", "b", "e"]);
    check(["*"], ["", "anything"], []);
  });

  it("treats a trailing ? as one character, not a prefix", () => {
    check(["us-?"], ["us-1", "us-x"], ["us-", "us-12", "us-east"]);
    check(["a?b*"], ["axb", "axbyz"], ["ab", "axxb"]);
  });

  it("takes regular-expression characters in globs literally", () => {
    check(["a.b?"], ["a.bc"], ["aXbc"]);
    check(["a+?"], ["a+X"], ["aaX"]);
    check(["a^?"], ["a^X"], ["aX"]);
    check(["a$?"], ["a$X"], ["aX"]);
    check(["a{2}?"], ["a{2}X"], ["aaX"]);
    check(["a(b)?"], ["a(b)X"], ["abX"]);
    check(["a(?"], ["a(X"], ["a"]);
    check(["a)?"], ["a)X"], ["a"]);
    check(["a|b?"], ["a|bX"], ["a", "bX"]);
    check(["[ab]?"], ["[ab]X"], ["aX", "bX"]);
    check(["[a?"], ["[aX"], ["aX"]);
    check(["a\\b?"], ["a\\bX"], ["abX"]);
    check(["x*y", "a.c"], ["xy", "a.c"], ["abc"]);
  });
});

describe("compileMatcher: cost", () => {
  /** RegExps compiled while `f` runs: the contract above is a Set lookup or a prefix test unless a glob needs more. */
  const regExpsBuilt = (f: () => void): number => {
    let n = 0;
    const original = globalThis.RegExp;
    globalThis.RegExp = new Proxy(original, {
      construct(target, args: [string, string?]) {
        n++;
        return Reflect.construct(target, args);
      },
    });
    try {
      f();
    } finally {
      globalThis.RegExp = original;
    }
    return n;
  };

  it("builds no RegExp for names and literal-prefix globs (the region check of every cluster), one otherwise", () => {
    const probe = (patterns: string[]) =>
      regExpsBuilt(() => {
        const m = compileMatcher(patterns);
        for (const v of ["eu-west-1", "us-east-1", "a", "x"]) m.matches(v);
      });
    expect(probe(["a", "b"])).toBe(0);
    expect(probe(["eu-*"])).toBe(0);
    expect(probe(["eu-*", "us-*", "a"])).toBe(0);
    expect(probe(["*"])).toBe(0);
    expect(probe(["us-?"])).toBe(1);
    expect(probe(["eu-*", "x*y"])).toBe(1);
  });
});
