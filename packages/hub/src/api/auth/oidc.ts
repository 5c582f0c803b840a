import { Name } from "@gantry/shared";
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from "jose";
import { z } from "zod";
import { HubError } from "../../errors.ts";
import type { Clock } from "../../util/clock.ts";
import type { OidcConfig } from "./config.ts";
import { type Principal, Role } from "./principal.ts";

/** Turns a bearer JWT from the configured issuer into a principal, or refuses it. */
export interface OidcVerifier {
  verify(jwt: string): Promise<Principal>;
}

/** The part of the discovery document the hub reads (OpenID Connect Discovery 1.0, §3). */
const Discovery = z.object({ issuer: z.string(), jwks_uri: z.url() });

const rank: Record<Role, number> = { admin: 0, operator: 1, member: 2, viewer: 3 };

const unauthenticated = (why: string) => new HubError("unauthenticated", `the OIDC token is not accepted: ${why}`);

/** Key-set and discovery failures are the issuer's, not the caller's: 503 so clients retry rather than re-login. */
const issuerTrouble = (e: unknown): boolean =>
  !(e instanceof errors.JOSEError) ||
  e.code === "ERR_JWKS_TIMEOUT" ||
  e.code === "ERR_JWKS_INVALID" ||
  e.code === "ERR_JOSE_GENERIC";

/** The role and tenant a verified token's claims grant (pure; exported for its table test). */
export const grantOfClaims = (claims: JWTPayload, config: OidcConfig): { role: Role; tenant: string | null } => {
  let role: Role | undefined;
  let tenant: string | null = null;
  const direct = claims[config.roleClaim];
  if (direct !== undefined) {
    const parsed = Role.safeParse(direct);
    if (!parsed.success) {
      throw new HubError(
        "forbidden",
        `claim ${config.roleClaim} is ${JSON.stringify(direct)}, not a Gantry role (admin, operator, member, viewer)`,
      );
    }
    role = parsed.data;
  } else {
    const raw = claims[config.groupsClaim];
    const groups = typeof raw === "string" ? [raw] : Array.isArray(raw) ? raw.filter((g) => typeof g === "string") : [];
    for (const g of groups) {
      const grant = Object.hasOwn(config.groups, g) ? config.groups[g] : undefined;
      if (grant && (role === undefined || rank[grant.role] < rank[role])) {
        role = grant.role;
        tenant = grant.tenant ?? null;
      }
    }
  }
  if (role === undefined) {
    throw new HubError(
      "forbidden",
      `the OIDC token grants no Gantry role: no claim ${config.roleClaim}, and no group in ${config.groupsClaim} is mapped`,
    );
  }
  const claimedTenant = claims[config.tenantClaim];
  if (claimedTenant !== undefined) {
    const parsed = Name.safeParse(claimedTenant);
    if (!parsed.success) throw unauthenticated(`claim ${config.tenantClaim} is not a tenant name`);
    tenant = parsed.data;
  }
  // Admins and operators act across tenants; a tenant on them would only mislead the audit log.
  if (role === "admin" || role === "operator") return { role, tenant: null };
  if (role === "member" && tenant === null) {
    throw new HubError(
      "forbidden",
      `a member needs a tenant: the token has no claim ${config.tenantClaim} and its group names none`,
    );
  }
  return { role, tenant };
};

/**
 * Verify JWTs against the issuer's JWKS (found through `.well-known/openid-configuration`, fetched on first
 * use and again after a failure; jose caches the keys and refetches on an unknown `kid`). Checks signature,
 * `iss`, `aud`, `exp`/`nbf` with the configured tolerance, against the hub's clock.
 */
export const createOidcVerifier = (config: OidcConfig, clock: Clock): OidcVerifier => {
  let keys: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const discover = async () => {
    const url = `${config.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
    const response = await fetch(url, { signal: AbortSignal.timeout(config.fetchTimeoutMs) });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    const doc = Discovery.parse(await response.json());
    // Discovery §4.3: the document must name the issuer it was fetched for, or it may be someone else's.
    if (doc.issuer !== config.issuer) throw new Error(`${url} names issuer ${doc.issuer}, not ${config.issuer}`);
    return createRemoteJWKSet(new URL(doc.jwks_uri), { timeoutDuration: config.fetchTimeoutMs });
  };
  const keySet = () => {
    keys ??= discover().catch((e: unknown) => {
      keys = undefined;
      throw e;
    });
    return keys;
  };

  return {
    async verify(jwt) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(jwt, async (header, token) => (await keySet())(header, token), {
          issuer: config.issuer,
          audience: config.audience,
          algorithms: config.algorithms,
          clockTolerance: config.clockToleranceSeconds,
          currentDate: clock.now(),
        }));
      } catch (e) {
        if (issuerTrouble(e)) {
          throw new HubError("unavailable", `cannot verify the OIDC token: the issuer ${config.issuer} is unreachable`);
        }
        throw unauthenticated(e instanceof Error ? e.message : String(e));
      }
      const subject = payload[config.subjectClaim];
      if (typeof subject !== "string" || subject === "") throw unauthenticated(`no ${config.subjectClaim} claim`);
      return { subject: `oidc:${subject}`, ...grantOfClaims(payload, config), via: "oidc" };
    },
  };
};
