import { decode, fmtCreds } from "@nats-io/jwt";
import { fromPublic, fromSeed, type KeyPair } from "@nats-io/nkeys";
import { z } from "zod";
import { NatsAuthError } from "./errors.ts";

/** The claims this module checks in JWTs it reads back; the rest is nats-server's business. */
const Claims = z.looseObject({
  sub: z.string(),
  iss: z.string(),
  iat: z.number(),
  exp: z.number().optional(),
  nats: z.looseObject({
    type: z.string().optional(),
    system_account: z.string().optional(),
    revocations: z.record(z.string(), z.number()).optional(),
  }),
});
export type Claims = z.infer<typeof Claims>;

/** nkeys public-key prefixes: operator, account, user. */
export type KeyKind = "O" | "A" | "U";

const te = new TextEncoder();
const td = new TextDecoder();

/** A key pair from a stored seed, checked to be of the kind expected. */
export const keyFromSeed = (seed: string, kind: KeyKind, what: string): KeyPair => {
  let kp: KeyPair;
  try {
    kp = fromSeed(te.encode(seed));
  } catch (error) {
    throw new NatsAuthError("authority_corrupt", `${what}: the stored seed is not an nkey seed`, { cause: error });
  }
  if (!kp.getPublicKey().startsWith(kind)) {
    throw new NatsAuthError("authority_corrupt", `${what}: the stored seed is not a ${kind}-key`);
  }
  return kp;
};

export const seedOf = (kp: KeyPair): string => td.decode(kp.getSeed());

/** Whether `key` is a well-formed nkeys user public key (prefix and checksum). */
export const isUserPublicKey = (key: string): boolean => {
  try {
    return fromPublic(key).getPublicKey() === key && key.startsWith("U");
  } catch {
    return false;
  }
};

/** Decodes a JWT, verifying its signature against its issuer and that it is what we expect. */
export const checkedClaims = (jwt: string, expect: { sub: string; iss: string; type: string }, what: string) => {
  let body: unknown;
  try {
    body = decode(jwt);
  } catch (error) {
    throw new NatsAuthError("authority_corrupt", `${what}: the stored JWT does not verify`, { cause: error });
  }
  const parsed = Claims.safeParse(body);
  if (!parsed.success) throw new NatsAuthError("authority_corrupt", `${what}: the stored JWT lacks sub, iss or iat`);
  const c = parsed.data;
  if (c.sub !== expect.sub || c.iss !== expect.iss || c.nats.type !== expect.type) {
    throw new NatsAuthError("authority_corrupt", `${what}: the stored JWT names another key or kind`);
  }
  return c;
};

/** The standard `.creds` text (JWT block, then seed block) nats clients and the `nats` CLI read. */
export const credsText = (jwt: string, kp: KeyPair): string => td.decode(fmtCreds(jwt, kp));
