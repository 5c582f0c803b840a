import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TokenRepository } from "../../store/tokens.ts";
import type { Clock } from "../../util/clock.ts";
import { newTokenId } from "./issue.ts";
import { generateToken, hashToken, isGantryToken } from "./token-secret.ts";

/** Where `gantry up` leaves the first admin token, and where the CLI looks for it on a local hub. */
export const adminTokenPath = (dataDir: string): string => join(dataDir, "admin.token");

export const BOOTSTRAP_TOKEN_NAME = "bootstrap-admin";

export interface BootstrapResult {
  path: string;
  /** True when a token was minted now (first start, file missing, or the file's token no longer valid). */
  created: boolean;
}

const readExisting = async (path: string): Promise<string | undefined> => {
  try {
    return (await readFile(path, "utf8")).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
};

/**
 * Make sure `<dataDir>/admin.token` holds a live admin token. Keeps the one there when the database still
 * knows it; otherwise revokes every other bootstrap token and mints a new one, so exactly the token in the
 * file is live. The file is written with mode 0600 (and a looser existing one tightened).
 */
export const ensureAdminToken = async (deps: {
  tokens: Pick<TokenRepository, "findLiveByHash" | "replaceBootstrap">;
  dataDir: string;
  clock: Clock;
}): Promise<BootstrapResult> => {
  const path = adminTokenPath(deps.dataDir);
  const existing = await readExisting(path);
  if (existing && isGantryToken(existing)) {
    const row = await deps.tokens.findLiveByHash(hashToken(existing));
    if (row?.bootstrap && row.role === "admin") {
      if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
      return { path, created: false };
    }
  }
  const secret = generateToken();
  await mkdir(deps.dataDir, { recursive: true, mode: 0o700 });
  // Write beside and rename, so a crash never leaves a half-written token where the CLI reads it.
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, `${secret.token}\n`, { mode: 0o600 });
  const at = deps.clock.now();
  const id = newTokenId();
  try {
    await deps.tokens.replaceBootstrap(
      {
        id,
        name: BOOTSTRAP_TOKEN_NAME,
        role: "admin",
        tenant: null,
        hash: secret.hash,
        hint: secret.hint,
        createdBy: "bootstrap",
        createdAt: at,
      },
      {
        at,
        subject: "bootstrap",
        role: null,
        tenant: null,
        action: "tokens:write",
        object: { kind: "tokens", name: id },
        outcome: "success",
        status: 201,
        detail: { name: BOOTSTRAP_TOKEN_NAME, role: "admin", file: path },
      },
    );
    await rename(partial, path);
  } finally {
    await rm(partial, { force: true });
  }
  return { path, created: true };
};
