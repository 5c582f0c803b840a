import type { MiddlewareHandler } from "hono";
import type { Store } from "../../store/index.ts";
import type { Clock } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
import { auditRefusals } from "./audit.ts";
import { authenticate, createAuthenticator, publicRoutes } from "./authenticate.ts";
import { AuthConfig } from "./config.ts";
import { createOidcVerifier, type OidcVerifier } from "./oidc.ts";
import { createRateLimiter, type RateLimiter } from "./rate-limit.ts";
import { requestId } from "./request-id.ts";

export { type AuditObject, auditEntry, auditRefusals, objectOfPath } from "./audit.ts";
export { type Authenticator, authenticate, createAuthenticator, publicRoutes } from "./authenticate.ts";
export { type Action, actions, authorize, authorizeGrant, type Grant, type Scope, tenantScope } from "./authorize.ts";
export { adminTokenPath, type BootstrapResult, ensureAdminToken } from "./bootstrap.ts";
export { AuthConfig, type AuthConfigInput, authConfigFromEnv, OidcConfig, RateLimitConfig } from "./config.ts";
export { principalOf } from "./context.ts";
export { type IssuedToken, issueToken } from "./issue.ts";
export { createOidcVerifier, type OidcVerifier } from "./oidc.ts";
export { describePrincipal, type Principal, type PrincipalSource, Role } from "./principal.ts";
export { type BucketLimit, createRateLimiter, type RateDecision, type RateLimiter } from "./rate-limit.ts";
export { requestId } from "./request-id.ts";
export { generateToken, hashToken, isGantryToken, TOKEN_PREFIX } from "./token-secret.ts";

/** How the API authenticates; the hub passes its config, tests may pass their own verifier, limiter or clock. */
export interface ApiAuth {
  config?: AuthConfig;
  oidc?: OidcVerifier;
  limiter?: RateLimiter;
}

/**
 * The auth middleware in the order it must run: request id (so every answer carries one), the refusal audit
 * (around everything, so it sees 401s too), then authentication with the rate limit.
 */
export const authMiddleware = (deps: {
  store: Pick<Store, "tokens" | "audit">;
  clock: Clock;
  logger: Logger;
  auth?: ApiAuth;
}): MiddlewareHandler[] => {
  const config = deps.auth?.config ?? AuthConfig.parse({});
  const oidc = deps.auth?.oidc ?? (config.oidc ? createOidcVerifier(config.oidc, deps.clock) : undefined);
  return [
    requestId(),
    auditRefusals({ audit: deps.store.audit, clock: deps.clock, logger: deps.logger }),
    authenticate({
      authenticator: createAuthenticator({ tokens: deps.store.tokens, ...(oidc ? { oidc } : {}) }),
      isPublic: publicRoutes(config),
      limiter: deps.auth?.limiter ?? createRateLimiter(deps.clock),
      limits: config.rateLimit,
    }),
  ];
};
