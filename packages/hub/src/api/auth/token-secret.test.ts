import { describe, expect, it } from "vitest";
import { generateToken, hashToken, isGantryToken, TOKEN_PREFIX } from "./token-secret.ts";

describe("token secrets", () => {
  it("carry 256 random bits after a recognisable prefix", () => {
    const { token } = generateToken();
    expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
    const secret = Buffer.from(token.slice(TOKEN_PREFIX.length), "base64url");
    expect(secret.length * 8).toBe(256);
    expect(isGantryToken(token)).toBe(true);
  });

  it("use the bytes they are given, so nothing but the random source decides them", () => {
    const fixed = generateToken((n) => Buffer.alloc(n, 0xab));
    expect(fixed.token).toBe(`gtk_${Buffer.alloc(32, 0xab).toString("base64url")}`);
    expect(fixed.hint).toBe(fixed.token.slice(0, 8));
  });

  it("never repeat (10,000 draws)", () => {
    const seen = new Set(Array.from({ length: 10_000 }, () => generateToken().token));
    expect(seen.size).toBe(10_000);
  });

  it("are stored as SHA-256 hex (known test vectors, FIPS 180-2)", () => {
    expect(hashToken("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hashToken("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const { token, hash } = generateToken();
    expect(hash).toBe(hashToken(token));
    expect(hash).not.toContain(token.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + 8));
  });

  it("tell a Gantry token from a JWT or garbage", () => {
    expect(isGantryToken("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")).toBe(false);
    expect(isGantryToken("gtk_short")).toBe(false);
    expect(isGantryToken(`gtk_${"A".repeat(43)}x`)).toBe(false);
    expect(isGantryToken(`gtk_${"A".repeat(42)}=`)).toBe(false);
  });
});
