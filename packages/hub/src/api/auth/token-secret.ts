import { createHash, randomBytes } from "node:crypto";

/** Every Gantry API token starts with this, so secret scanners and people recognise one at a glance. */
export const TOKEN_PREFIX = "gtk_";

/** 32 random bytes: 256 bits, as base64url (43 characters) after the prefix. */
const SECRET_BYTES = 32;
const tokenShape = /^gtk_[A-Za-z0-9_-]{43}$/;

export interface NewTokenSecret {
  /** The bearer token; shown to its creator once and never stored. */
  token: string;
  /** What the store keeps and looks the token up by. */
  hash: string;
  /** The first characters, kept in the clear so a list can tell tokens apart without revealing them. */
  hint: string;
}

/**
 * The stored form of a token: SHA-256, hex. A fast unsalted hash is right here, unlike for passwords: the
 * input is 256 random bits, so neither brute force nor a precomputed table can invert it, whatever the hash
 * costs; and being deterministic, it lets the hub find a token with one indexed lookup instead of trying a
 * slow, salted hash against every row. Comparing hashes (not secrets) also means the lookup's timing tells
 * an attacker nothing about the secret.
 */
export const hashToken = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");

/** A fresh token, its hash and its display hint. */
export const generateToken = (random: (n: number) => Buffer = randomBytes): NewTokenSecret => {
  const token = `${TOKEN_PREFIX}${random(SECRET_BYTES).toString("base64url")}`;
  return { token, hash: hashToken(token), hint: token.slice(0, TOKEN_PREFIX.length + 4) };
};

/** Whether a bearer credential has a Gantry token's shape (else it may be an OIDC JWT). */
export const isGantryToken = (credential: string): boolean => tokenShape.test(credential);
