import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fromSeed } from "@nats-io/nkeys";
import { type Authenticator, jwtAuthenticator } from "@nats-io/transport-node";
import { z } from "zod";

export type CredentialsErrorCode = "credentials_unreadable" | "credentials_invalid";

export class CredentialsError extends Error {
  constructor(
    readonly code: CredentialsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "CredentialsError";
  }
}

/** A parsed `.creds` file: the user JWT the hub issued and the seed that proves we hold its key. */
export interface AgentCredentials {
  jwt: string;
  seed: string;
  publicKey: string;
  /** The account that issued the JWT. */
  account: string;
  name?: string;
  expiresAt?: Date;
}

const UserClaims = z.looseObject({
  sub: z.string(),
  iss: z.string(),
  name: z.string().optional(),
  exp: z.number().optional(),
  nats: z.looseObject({ type: z.literal("user"), issuer_account: z.string().optional() }),
});

/** One armoured block of a creds file (`-----BEGIN <label>-----`, content, `------END <label>------`). */
const block = (text: string, label: string): string | undefined => {
  const re = new RegExp(`-{3,}BEGIN ${label}-{3,}\\s*?\\n\\s*(\\S+)\\s*?\\n\\s*-{3,}END ${label}-{3,}`);
  return re.exec(text)?.[1];
};

const invalid = (message: string, cause?: unknown) =>
  new CredentialsError("credentials_invalid", `credentials file: ${message}`, cause === undefined ? {} : { cause });

/**
 * Parses the standard `.creds` text. Checks what a client can check (the JWT is a user JWT and the
 * seed is the key it names); whether the server trusts it is the server's call.
 */
export const parseCreds = (text: string): AgentCredentials => {
  const normalised = text.replace(/\r\n/g, "\n");
  const jwt = block(normalised, "NATS USER JWT");
  const seed = block(normalised, "USER NKEY SEED");
  if (!jwt) throw invalid("no NATS USER JWT block");
  if (!seed) throw invalid("no USER NKEY SEED block");
  const payload = jwt.split(".");
  if (payload.length !== 3 || !payload[1]) throw invalid("the JWT does not have three parts");
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(payload[1], "base64url").toString("utf8"));
  } catch (error) {
    throw invalid("the JWT's claims are not JSON", error);
  }
  const claims = UserClaims.safeParse(body);
  if (!claims.success) throw invalid("the JWT is not a NATS user JWT");
  let publicKey: string;
  try {
    publicKey = fromSeed(new TextEncoder().encode(seed)).getPublicKey();
  } catch (error) {
    throw invalid("the seed is not an nkey seed", error);
  }
  if (!publicKey.startsWith("U")) throw invalid("the seed is not a user seed");
  if (publicKey !== claims.data.sub) throw invalid("the seed is not the key the JWT was issued to");
  const c = claims.data;
  return {
    jwt,
    seed,
    publicKey,
    account: c.nats.issuer_account ?? c.iss,
    ...(c.name === undefined ? {} : { name: c.name }),
    ...(c.exp === undefined ? {} : { expiresAt: new Date(c.exp * 1000) }),
  };
};

/** Reads a file's bytes; synchronous because nats.js calls authenticators synchronously. */
export type ReadFile = (path: string) => Uint8Array;

const readCreds = (path: string, read: ReadFile): { creds: AgentCredentials; hash: string } => {
  let bytes: Uint8Array;
  try {
    bytes = read(path);
  } catch (error) {
    throw new CredentialsError("credentials_unreadable", `cannot read credentials file ${path}: ${String(error)}`, {
      cause: error,
    });
  }
  const creds = parseCreds(Buffer.from(bytes).toString("utf8"));
  return { creds, hash: createHash("sha256").update(bytes).digest("hex") };
};

/**
 * A nats.js authenticator that reads the `.creds` file on every (re)connect, so rotated credentials
 * are used without restarting the agent. Reads the file once per attempt (nats.js's own
 * `credsAuthenticator` reads it twice, and a swap in between pairs one JWT with another's seed).
 * If the file is momentarily unreadable or invalid, the last good credentials are used: the server,
 * not a missing file, decides whether they are still good.
 */
export const credsFileAuthenticator = (
  path: string,
  options: { read?: ReadFile; onError?: (error: CredentialsError) => void } = {},
): Authenticator => {
  const read = options.read ?? readFileSync;
  let lastGood: AgentCredentials | undefined;
  return (nonce) => {
    try {
      lastGood = readCreds(path, read).creds;
    } catch (error) {
      if (!(error instanceof CredentialsError)) throw error;
      options.onError?.(error);
      if (!lastGood) throw error;
    }
    return jwtAuthenticator(lastGood.jwt, new TextEncoder().encode(lastGood.seed))(nonce);
  };
};

export interface CredentialsWatch {
  /** Looks now; true when it saw new valid credentials (and called `onChange`). */
  check(): boolean;
  close(): void;
}

/**
 * Calls `onChange` when the credentials file holds different valid credentials than before.
 * Polls the content hash through the path rather than watching the inode: a Kubernetes Secret
 * volume replaces the file by swapping a `..data` symlink, which inode watches miss. Unreadable or
 * invalid content is reported and skipped, so a half-written file never triggers a reconnect.
 */
export const watchCredentials = (
  path: string,
  onChange: (creds: AgentCredentials) => void | Promise<void>,
  options: { intervalMs: number; read?: ReadFile; onError?: (error: unknown) => void },
): CredentialsWatch => {
  if (!Number.isInteger(options.intervalMs) || options.intervalMs <= 0) {
    throw new RangeError(`intervalMs must be a positive integer, got ${options.intervalMs}`);
  }
  const read = options.read ?? readFileSync;
  const report = (error: unknown) => options.onError?.(error);
  const look = (): { creds: AgentCredentials; hash: string } | undefined => {
    try {
      return readCreds(path, read);
    } catch (error) {
      report(error);
      return undefined;
    }
  };
  // The baseline is what the agent is using now; a file missing at start fires once it appears.
  let seen = look()?.hash;
  const check = (): boolean => {
    const current = look();
    if (!current || current.hash === seen) return false;
    seen = current.hash;
    try {
      Promise.resolve(onChange(current.creds)).catch(report);
    } catch (error) {
      report(error);
    }
    return true;
  };
  const timer = setInterval(check, options.intervalMs);
  timer.unref();
  return { check, close: () => clearInterval(timer) };
};
