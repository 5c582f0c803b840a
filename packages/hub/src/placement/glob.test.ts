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
