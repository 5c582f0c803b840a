import { encodeAccount, encodeOperator, encodeUser, type Permissions, type RevocationList } from "@nats-io/jwt";
import type { KeyPair } from "@nats-io/nkeys";
import type { UserPermissions } from "./permissions.ts";

/**
 * An account JWT that names no limits gets zero connections from nats-server, so every account
 * spells out "unlimited"; the operator is the only tenant here and quotas are not this module's job.
 */
const UNLIMITED_ACCOUNT = {
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  conn: -1,
  leaf: -1,
};
/** Inert unless the server runs JetStream; then the GANTRY account may use it without a quota. */
const UNLIMITED_JETSTREAM = { mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };

/**
 * The permission part of a user JWT. nats-server reads an empty `allow` list as "anything", so a
 * user that may publish (or subscribe to) nothing gets `deny: [">"]` instead.
 */
export const userPermissionClaims = (permissions: UserPermissions): Permissions => {
  const side = (allow: string[]) => (allow.length > 0 ? { allow: [...allow] } : { deny: [">"] });
  return {
    pub: side(permissions.publish),
    sub: side(permissions.subscribe),
    // max 1, ttl 0: one reply per request received, within the server's default window (2 minutes).
    ...(permissions.allowResponses ? { resp: { max: 1, ttl: 0 } } : {}),
  };
};

/** The operator JWT: self-signed, naming the system account the server reports and listens on. */
export const signOperator = (operator: KeyPair, systemAccount: string): Promise<string> =>
  encodeOperator("gantry", operator, { system_account: systemAccount });

/** The SYS account JWT, signed by the operator. */
export const signSystemAccount = (account: KeyPair, operator: KeyPair): Promise<string> =>
  encodeAccount("SYS", account, { limits: UNLIMITED_ACCOUNT }, { signer: operator });

/** The GANTRY account JWT with its revocations (user public key → unix seconds), signed by the operator. */
export const signGantryAccount = (account: KeyPair, operator: KeyPair, revocations: RevocationList): Promise<string> =>
  encodeAccount(
    "GANTRY",
    account,
    {
      limits: { ...UNLIMITED_ACCOUNT, ...UNLIMITED_JETSTREAM },
      ...(Object.keys(revocations).length > 0 ? { revocations: { ...revocations } } : {}),
    },
    { signer: operator },
  );

/** A user JWT issued by `account`; `expiresAt` (unix seconds) makes the server cut it off then. */
export const signUser = (
  name: string,
  user: KeyPair,
  account: KeyPair,
  permissions: UserPermissions,
  expiresAt?: number,
): Promise<string> =>
  encodeUser(name, user, account, userPermissionClaims(permissions), expiresAt === undefined ? {} : { exp: expiresAt });
