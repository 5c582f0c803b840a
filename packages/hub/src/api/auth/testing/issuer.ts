import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";

export type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

/** A local OpenID issuer for tests: discovery document and JWKS over real HTTP, keys made by jose. */
export interface TestIssuer {
  url: string;
  key: KeyPair;
  /** Requests the issuer has served, to check caching. */
  requests(): number;
  /** A JWT signed with the issuer's key (kid `k1`, RS256) carrying `claims`. */
  sign(claims: JWTPayload): Promise<string>;
  close(): Promise<void>;
}

export const startTestIssuer = async (options: { discoveryIssuer?: string; keys?: () => JWK[] } = {}) => {
  const key = await generateKeyPair("RS256");
  const published = { ...(await exportJWK(key.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  let requests = 0;
  let base = "";
  const server: Server = createServer((req, res) => {
    requests++;
    res.setHeader("content-type", "application/json");
    if (req.url === "/.well-known/openid-configuration") {
      res.end(JSON.stringify({ issuer: options.discoveryIssuer ?? base, jwks_uri: `${base}/jwks` }));
    } else if (req.url === "/jwks") {
      res.end(JSON.stringify({ keys: options.keys?.() ?? [published] }));
    } else {
      res.statusCode = 404;
      res.end("{}");
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer: TestIssuer = {
    url: base,
    key,
    requests: () => requests,
    sign: (claims) => new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "k1" }).sign(key.privateKey),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  return issuer;
};
