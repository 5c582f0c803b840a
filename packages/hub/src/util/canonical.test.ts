import { describe, expect, it } from "vitest";
import { canonicalJson, hashOf } from "./canonical.ts";

describe("canonicalJson", () => {
  it("ignores key order at every depth but not array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
    expect(hashOf({ x: 1, y: { z: 2 } })).toBe(hashOf({ y: { z: 2 }, x: 1 }));
    expect(hashOf({ x: [1, 2] })).not.toBe(hashOf({ x: [2, 1] }));
  });
});
