import { createMiddleware } from "hono/factory";
import { HubError } from "../../errors.ts";
import type { TokenRepository } from "../../store/tokens.ts";
import { DASHBOARD_PREFIX } from "../dashboard/serve.ts";
import type { RateLimitConfig } from "./config.ts";
import "./context.ts";
import type { OidcVerifier } from "./oidc.ts";
import { type Principal, Role } from "./principal.ts";
import type { RateLimiter } from "./rate-limit.ts";
import { hashToken, isGantryToken, TOKEN_PREFIX } from "./token-secret.ts";

/** Turns a bearer credential into a principal or throws 401/403/503. */
export type Authenticator = (credential: string) => Promise<Principal>;

const jwtShape = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Gantry tokens by hash lookup (every request: a revoked token is refused on the next one), JWTs through
 * OIDC when it is configured.
 */
export const createAuthenticator = (deps: {
  tokens: Pick<TokenRepository, "findLiveByHash">;
  oidc?: OidcVerifier;
}): Authenticator => {
  return async (credential) => {
    if (isGantryToken(credential)) {
      const row = await deps.tokens.findLiveByHash(hashToken(credential));
      if (!row) throw new HubError("unauthenticated", "the token is unknown or has been revoked");
      return {
        subject: `token:${row.name}`,
        role: Role.parse(row.role),
        tenant: row.tenant,
        tokenId: row.id,
        via: row.bootstrap ? "bootstrap" : "token",
      };
    }
    if (deps.oidc && jwtShape.test(credential)) return deps.oidc.verify(credential);
    throw new HubError(
      "unauthenticated",
      `the bearer credential is not a Gantry token (${TOKEN_PREFIX}…)${deps.oidc ? " or a JWT" : "; OIDC is not configured"}`,
    );
  };
};

const bearer = /^Bearer[ ]+([^\s]+)[ ]*$/i;

/** Routes any caller may reach: probes, and the metrics scrape unless configured otherwise. */
export const publicRoutes = (options: { metricsRequireToken: boolean }) => {
  // The OpenAPI document describes the API and holds no data: client generators read it without a token.
  const open = new Set([
    "/healthz",
    "/readyz",
    "/api/v1/openapi.json",
    ...(options.metricsRequireToken ? [] : ["/metrics"]),
  ]);
  // The dashboard's page and its assets are static files with no data in them; what it shows comes through the API.
  open.add("/");
  return (method: string, path: string): boolean =>
    (method === "GET" || method === "HEAD") && (open.has(path) || path.startsWith(DASHBOARD_PREFIX));
};

const rateLimited = (retryAfterSeconds: number, who: string) =>
  new HubError("rate_limited", `${who} is over its request rate; retry after ${Math.ceil(retryAfterSeconds)} s`, {
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)),
  });

/**
 * Authentication, then the caller's rate limit. Sets `principal`; refuses with 401 (no or bad credentials),
 * 403 (an OIDC identity without a Gantry role) or 429. Failed credentials draw on one shared bucket, so
 * guessing costs the guesser, and the audit rows refusals write stay bounded.
 */
export const authenticate = (deps: {
  authenticator: Authenticator;
  isPublic: (method: string, path: string) => boolean;
  limiter: RateLimiter;
  limits: RateLimitConfig;
}) =>
  createMiddleware(async (c, next) => {
    if (deps.isPublic(c.req.method, c.req.path)) return next();
    let principal: Principal;
    try {
      const header = c.req.header("authorization");
      if (header === undefined) throw new HubError("unauthenticated", "send Authorization: Bearer <token>");
      const credential = bearer.exec(header)?.[1];
      if (credential === undefined) {
        throw new HubError("unauthenticated", "the Authorization header must be: Bearer <token>");
      }
      principal = await deps.authenticator(credential);
    } catch (e) {
      if (e instanceof HubError && e.code === "unauthenticated") {
        const spend = deps.limiter.take("unauthenticated", deps.limits.unauthenticated);
        if (!spend.allowed) {
          if (!spend.first) c.set("auditQuiet", true);
          throw rateLimited(spend.retryAfterSeconds, "unauthenticated traffic");
        }
      }
      throw e;
    }
    c.set("principal", principal);
    const spend = deps.limiter.take(
      principal.tokenId ?? principal.subject,
      deps.limits.roles[principal.role] ?? deps.limits.default,
    );
    if (!spend.allowed) {
      if (!spend.first) c.set("auditQuiet", true);
      throw rateLimited(spend.retryAfterSeconds, principal.subject);
    }
    await next();
  });
