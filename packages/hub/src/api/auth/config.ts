import { Name, parseDocument } from "@gantry/shared";
import { z } from "zod";
import { Role } from "./principal.ts";

/** A boolean from code or from an environment variable ("true", "1", "yes", …). */
const Flag = z.union([z.boolean(), z.stringbool()], { error: "expected true or false (or 1/0, yes/no, on/off)" });

export const BucketLimit = z
  .object({
    perSecond: z.coerce.number().positive(),
    burst: z.coerce.number().int().positive(),
  })
  .strict();

/** What an identity-provider group grants; the first matching group with the highest role wins. */
export const GroupGrant = z.object({ role: Role, tenant: Name.optional() }).strict();

/** Accept JWTs from one OpenID Connect issuer, verified against the keys its discovery document names. */
export const OidcConfig = z
  .object({
    /** The issuer URL; `<issuer>/.well-known/openid-configuration` is fetched once, then cached. */
    issuer: z.url(),
    /** The `aud` the hub requires: its client id at the issuer. */
    audience: z.string().min(1),
    /** Leeway for `exp`/`nbf`/`iat` between the issuer's and the hub's clocks. */
    clockToleranceSeconds: z.coerce.number().int().nonnegative().default(30),
    subjectClaim: z.string().min(1).default("sub"),
    /** A claim holding a Gantry role directly (`admin`, `operator`, `member`, `viewer`). */
    roleClaim: z.string().min(1).default("gantry_role"),
    tenantClaim: z.string().min(1).default("gantry_tenant"),
    /** A claim listing the caller's groups, mapped through `groups` when `roleClaim` is absent. */
    groupsClaim: z.string().min(1).default("groups"),
    groups: z.record(z.string(), GroupGrant).default({}),
    /** Asymmetric algorithms only: a JWKS never holds the shared secret an HMAC JWT would need. */
    algorithms: z
      .array(z.enum(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]))
      .min(1)
      .default(["RS256", "PS256", "ES256", "ES384", "EdDSA"]),
    /** How long discovery and key fetches may take before the request is answered 503. */
    fetchTimeoutMs: z.coerce.number().int().positive().default(5_000),
  })
  .strict();
export type OidcConfig = z.infer<typeof OidcConfig>;

export const RateLimitConfig = z
  .object({
    /** Every authenticated caller (per token, per OIDC subject) unless its role has its own. */
    default: BucketLimit.default({ perSecond: 50, burst: 100 }),
    /** Requests whose credentials failed: one shared bucket, which also caps the audit rows they cause. */
    unauthenticated: BucketLimit.default({ perSecond: 5, burst: 20 }),
    roles: z.partialRecord(Role, BucketLimit).default({}),
  })
  .strict();
export type RateLimitConfig = z.infer<typeof RateLimitConfig>;

export const AuthConfig = z
  .object({
    /** `/metrics` without a token is the Prometheus default; set this where the metrics themselves are sensitive. */
    metricsRequireToken: Flag.default(false),
    /** Mint an admin token on start and write it to `<dataDir>/admin.token` (`gantry up` turns this on). */
    bootstrapAdminToken: Flag.default(false),
    oidc: OidcConfig.optional(),
    rateLimit: RateLimitConfig.prefault({}),
  })
  .strict();
export type AuthConfig = z.infer<typeof AuthConfig>;
export type AuthConfigInput = z.input<typeof AuthConfig>;

/** A structured value in one environment variable (JSON or YAML), failing with the variable's name. */
const structured = (env: NodeJS.ProcessEnv, name: string): unknown =>
  env[name] === undefined ? undefined : parseDocument(env[name], name);

const defined = <T extends Record<string, unknown>>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== "")) as Partial<T>;

/** The auth settings from `GANTRY_*` variables; zod checks them with the rest of the hub's config. */
export const authConfigFromEnv = (env: NodeJS.ProcessEnv): AuthConfigInput => {
  const oidc = env.GANTRY_OIDC_ISSUER
    ? defined({
        issuer: env.GANTRY_OIDC_ISSUER,
        audience: env.GANTRY_OIDC_AUDIENCE,
        clockToleranceSeconds: env.GANTRY_OIDC_CLOCK_TOLERANCE_SECONDS,
        subjectClaim: env.GANTRY_OIDC_SUBJECT_CLAIM,
        roleClaim: env.GANTRY_OIDC_ROLE_CLAIM,
        tenantClaim: env.GANTRY_OIDC_TENANT_CLAIM,
        groupsClaim: env.GANTRY_OIDC_GROUPS_CLAIM,
        groups: structured(env, "GANTRY_OIDC_GROUPS"),
      })
    : undefined;
  const rateLimit = defined({
    default:
      env.GANTRY_RATE_LIMIT_PER_SECOND || env.GANTRY_RATE_LIMIT_BURST
        ? defined({ perSecond: env.GANTRY_RATE_LIMIT_PER_SECOND ?? "50", burst: env.GANTRY_RATE_LIMIT_BURST ?? "100" })
        : undefined,
    roles: structured(env, "GANTRY_RATE_LIMIT_ROLES"),
  });
  return defined({
    metricsRequireToken: env.GANTRY_METRICS_REQUIRE_TOKEN,
    bootstrapAdminToken: env.GANTRY_BOOTSTRAP_ADMIN_TOKEN,
    oidc,
    rateLimit,
  }) as AuthConfigInput;
};
