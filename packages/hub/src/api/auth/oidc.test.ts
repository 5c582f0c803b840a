import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HubError } from "../../errors.ts";
import { OidcConfig } from "./config.ts";
import { createOidcVerifier, grantOfClaims } from "./oidc.ts";
import { type KeyPair, startTestIssuer, type TestIssuer } from "./testing/issuer.ts";

const now = new Date("2026-03-01T12:00:00Z");
const clock = { now: () => now };
const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

const sign = (key: KeyPair, kid: string, claims: JWTPayload, alg = "RS256") =>
  new SignJWT(claims).setProtectedHeader({ alg, kid }).sign(key.privateKey);

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return "accepted";
  } catch (e) {
    if (e instanceof HubError) return e.code;
    throw e;
  }
};

describe("OIDC verification against a local issuer", () => {
  let key: KeyPair;
  let stranger: KeyPair;
  let issuer: TestIssuer;
  let config: OidcConfig;
  const claims = (over: JWTPayload = {}): JWTPayload => ({
    iss: issuer.url,
    aud: "gantry",
    sub: "alice",
    iat: seconds(now) - 60,
    exp: seconds(now) + 600,
    gantry_role: "member",
    gantry_tenant: "vision",
    ...over,
  });

  beforeAll(async () => {
    issuer = await startTestIssuer();
    key = issuer.key;
    stranger = await generateKeyPair("RS256");
    config = OidcConfig.parse({
      issuer: issuer.url,
      audience: "gantry",
      clockToleranceSeconds: 30,
      groups: { "gantry-admins": { role: "admin" }, "nlp-team": { role: "member", tenant: "nlp" } },
    });
  });
  afterAll(async () => issuer?.close());

  it("accepts a token signed by the issuer's key and takes role and tenant from the claims", async () => {
    const verifier = createOidcVerifier(config, clock);
    expect(await verifier.verify(await sign(key, "k1", claims()))).toEqual({
      subject: "oidc:alice",
      role: "member",
      tenant: "vision",
      via: "oidc",
    });
  });

  it("maps groups when there is no role claim, the strongest group winning", async () => {
    const verifier = createOidcVerifier(config, clock);
    const jwt = await sign(
      key,
      "k1",
      claims({ gantry_role: undefined, gantry_tenant: undefined, groups: ["nlp-team"] }),
    );
    expect(await verifier.verify(jwt)).toMatchObject({ role: "member", tenant: "nlp" });
    const both = await sign(
      key,
      "k1",
      claims({ gantry_role: undefined, gantry_tenant: undefined, groups: ["nlp-team", "gantry-admins"] }),
    );
    expect(await verifier.verify(both)).toMatchObject({ role: "admin", tenant: null });
  });

  it.each<[string, (k: KeyPair, s: KeyPair, url: string) => Promise<string>, string]>([
    ["another audience", (k, _s) => sign(k, "k1", claims({ aud: "someone-else" })), "unauthenticated"],
    ["another issuer", (k) => sign(k, "k1", claims({ iss: "http://evil.example" })), "unauthenticated"],
    ["expired beyond the tolerance", (k) => sign(k, "k1", claims({ exp: seconds(now) - 31 })), "unauthenticated"],
    ["expired within the tolerance", (k) => sign(k, "k1", claims({ exp: seconds(now) - 29 })), "accepted"],
    ["not yet valid beyond the tolerance", (k) => sign(k, "k1", claims({ nbf: seconds(now) + 31 })), "unauthenticated"],
    ["signed by a key the issuer never published", (_k, s) => sign(s, "k1", claims()), "unauthenticated"],
    ["with an unknown kid", (_k, s) => sign(s, "k9", claims()), "unauthenticated"],
    ["without a subject", (k) => sign(k, "k1", claims({ sub: undefined })), "unauthenticated"],
    ["with a role that is not a Gantry role", (k) => sign(k, "k1", claims({ gantry_role: "root" })), "forbidden"],
    ["granting no role at all", (k) => sign(k, "k1", claims({ gantry_role: undefined, groups: ["x"] })), "forbidden"],
    ["a member without a tenant", (k) => sign(k, "k1", claims({ gantry_tenant: undefined })), "forbidden"],
  ])("a token %s: %s", async (_what, make, outcome) => {
    const verifier = createOidcVerifier(config, clock);
    expect(await codeOf(verifier.verify(await make(key, stranger, issuer.url)))).toBe(outcome);
  });

  it("refuses an HMAC token, so the JWKS's public values can never serve as a shared secret", async () => {
    const verifier = createOidcVerifier(config, clock);
    const hs = await new SignJWT(claims())
      .setProtectedHeader({ alg: "HS256", kid: "k1" })
      .sign(new TextEncoder().encode("a-shared-secret-of-thirty-two-bytes!"));
    expect(await codeOf(verifier.verify(hs))).toBe("unauthenticated");
  });

  it("fetches discovery and keys once, not per request", async () => {
    const verifier = createOidcVerifier(config, clock);
    const before = issuer.requests();
    for (let i = 0; i < 5; i++) await verifier.verify(await sign(key, "k1", claims()));
    expect(issuer.requests() - before).toBe(2);
  });

  it("answers 503 when the issuer cannot be reached, and recovers when it can", async () => {
    const down = OidcConfig.parse({ issuer: "http://127.0.0.1:9", audience: "gantry", fetchTimeoutMs: 1_000 });
    expect(await codeOf(createOidcVerifier(down, clock).verify(await sign(key, "k1", claims())))).toBe("unavailable");
  });

  it("refuses a discovery document that names another issuer", async () => {
    const jwk = { ...(await exportJWK(key.publicKey)), kid: "k1" };
    const impostor = await startTestIssuer({ discoveryIssuer: "https://someone-else.example", keys: () => [jwk] });
    try {
      const c = OidcConfig.parse({ issuer: impostor.url, audience: "gantry" });
      const jwt = await sign(key, "k1", claims({ iss: impostor.url }));
      expect(await codeOf(createOidcVerifier(c, clock).verify(jwt))).toBe("unavailable");
    } finally {
      await impostor.close();
    }
  });
});

describe("grantOfClaims", () => {
  const config = OidcConfig.parse({
    issuer: "https://id.example",
    audience: "gantry",
    groups: {
      ops: { role: "operator" },
      readers: { role: "viewer" },
      "vision-devs": { role: "member", tenant: "vision" },
    },
  });
  it.each<[JWTPayload, { role: string; tenant: string | null } | string]>([
    [{ gantry_role: "viewer" }, { role: "viewer", tenant: null }],
    [
      { gantry_role: "viewer", gantry_tenant: "a" },
      { role: "viewer", tenant: "a" },
    ],
    [
      { gantry_role: "operator", gantry_tenant: "a" },
      { role: "operator", tenant: null },
    ],
    [{ groups: ["readers", "ops"] }, { role: "operator", tenant: null }],
    [{ groups: "vision-devs" }, { role: "member", tenant: "vision" }],
    [
      { groups: ["vision-devs"], gantry_tenant: "other" },
      { role: "member", tenant: "other" },
    ],
    [{ groups: ["toString", "constructor"] }, "forbidden"],
    [{ gantry_role: 7 }, "forbidden"],
    [{ gantry_role: "member", gantry_tenant: "Not A Tenant" }, "unauthenticated"],
  ])("%j grants %j", (claims, want) => {
    let got: unknown;
    try {
      got = grantOfClaims(claims, config);
    } catch (e) {
      got = e instanceof HubError ? e.code : e;
    }
    expect(got).toEqual(want);
  });
});
