import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";

/** Where the CLI found its bearer token, for messages that must say which one the hub refused. */
export type TokenSource = "--token" | "GANTRY_TOKEN" | "admin.token";

export interface ResolvedToken {
  token: string;
  source: TokenSource;
}

/** True for a hub on this machine: `localhost`, 127.0.0.0/8, `::1`. Only then is the local admin token offered. */
export const isLoopbackUrl = (url: string): boolean => {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return false;
  }
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return isIP(host) === 6 && (host === "::1" || host === "0:0:0:0:0:0:0:1");
};

const readTokenFile = (path: string): string | undefined => {
  try {
    const text = readFileSync(path, "utf8").trim();
    return text === "" ? undefined : text;
  } catch {
    return undefined;
  }
};

/**
 * The token the CLI sends: `--token`, else `GANTRY_TOKEN`, else — only for a hub on this machine — the
 * admin token `gantry up` wrote to `<data dir>/admin.token` (`GANTRY_DATA_DIR`, default `.gantry/data`).
 * The file is never offered to a remote hub: it would hand a stranger the local admin's credentials.
 */
export const resolveToken = (options: {
  flag?: string | undefined;
  env: NodeJS.ProcessEnv;
  hub: string;
  readFile?: (path: string) => string | undefined;
}): ResolvedToken | undefined => {
  if (options.flag) return { token: options.flag, source: "--token" };
  if (options.env.GANTRY_TOKEN) return { token: options.env.GANTRY_TOKEN, source: "GANTRY_TOKEN" };
  if (!isLoopbackUrl(options.hub)) return undefined;
  const path = join(options.env.GANTRY_DATA_DIR ?? ".gantry/data", "admin.token");
  const token = (options.readFile ?? readTokenFile)(path);
  return token ? { token, source: "admin.token" } : undefined;
};
