import { randomBytes } from "node:crypto";
import { chmod, link, mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { NatsAuthError } from "./errors.ts";

const KeyAndJwt = z.strictObject({ seed: z.string().min(1), jwt: z.string().min(1) });

/**
 * Everything the authority must not lose: the seeds (which sign every identity) and the JWTs it
 * issued to itself, including the current GANTRY account JWT with its revocations. One file, so a
 * crash leaves either the old state or the new one, never half of each.
 */
export const AuthorityFile = z.strictObject({
  version: z.literal(1),
  operator: KeyAndJwt,
  systemAccount: KeyAndJwt,
  account: KeyAndJwt,
  /** The SYS user that pushes account updates to running servers. */
  claimsPusher: KeyAndJwt,
  /** The hub's own user, minted on first use and kept. */
  hub: KeyAndJwt.optional(),
});
export type AuthorityFile = z.infer<typeof AuthorityFile>;

export const AUTHORITY_FILE_NAME = "nats-authority.json";

const tmpName = (dir: string) => join(dir, `.${AUTHORITY_FILE_NAME}.${randomBytes(6).toString("hex")}.tmp`);

const errno = (error: unknown): string | undefined =>
  error instanceof Error && "code" in error && typeof error.code === "string" ? error.code : undefined;

/** Reads and checks the state file; undefined when there is none yet. */
export const readAuthorityFile = async (dir: string): Promise<AuthorityFile | undefined> => {
  const path = join(dir, AUTHORITY_FILE_NAME);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (errno(error) === "ENOENT") return undefined;
    throw error;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new NatsAuthError("authority_corrupt", `${path} is not JSON`, { cause: error });
  }
  const parsed = AuthorityFile.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new NatsAuthError("authority_corrupt", `${path}: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  // Seeds are secrets: tighten a file someone loosened rather than keep serving from it as is.
  await chmod(path, 0o600);
  return parsed.data;
};

const writeTmp = async (dir: string, state: AuthorityFile): Promise<string> => {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = tmpName(dir);
  await writeFile(tmp, `${JSON.stringify(AuthorityFile.parse(state), null, 2)}\n`, { mode: 0o600, flag: "wx" });
  return tmp;
};

/**
 * Writes the first state, unless another process got there first (then false: load theirs, so two
 * hubs starting together end up trusting the same operator).
 */
export const createAuthorityFile = async (dir: string, state: AuthorityFile): Promise<boolean> => {
  const tmp = await writeTmp(dir, state);
  try {
    await link(tmp, join(dir, AUTHORITY_FILE_NAME));
    return true;
  } catch (error) {
    if (errno(error) === "EEXIST") return false;
    throw error;
  } finally {
    await unlink(tmp);
  }
};

/** Replaces the state atomically (write aside, then rename over). */
export const replaceAuthorityFile = async (dir: string, state: AuthorityFile): Promise<void> => {
  const tmp = await writeTmp(dir, state);
  try {
    await rename(tmp, join(dir, AUTHORITY_FILE_NAME));
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
};
