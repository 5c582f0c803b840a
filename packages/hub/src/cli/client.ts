import type { Command } from "commander";
import { CliError } from "./output.ts";
import { type ResolvedToken, resolveToken } from "./token.ts";

interface ProblemBody {
  code?: string;
  detail?: string;
  errors?: { field: string; message: string }[];
}

/** What to do about a 401, by where the token came from. */
const loginHint = (auth: ResolvedToken | undefined): string =>
  auth
    ? `\n  the hub refused the token from ${auth.source}; it may be revoked (gantry token list)`
    : "\n  send a token: --token or GANTRY_TOKEN (on the hub's machine, `gantry up` writes one to .gantry/data/admin.token)";

/** A thin client for the hub's API; errors become CliErrors naming the code and the fields. */
export const hubClient = (base: string, auth?: ResolvedToken) => {
  const request = async (method: string, path: string, body?: { text: string; type: string }): Promise<unknown> => {
    let response: Response;
    const headers: Record<string, string> = {
      ...(body ? { "content-type": body.type } : {}),
      ...(auth ? { authorization: `Bearer ${auth.token}` } : {}),
    };
    try {
      response = await fetch(new URL(`/api/v1${path}`, base), {
        method,
        headers,
        ...(body ? { body: body.text } : {}),
      });
    } catch (e) {
      throw new CliError(
        `cannot reach the hub at ${base} (${(e as Error).message}); is it running? (--hub or GANTRY_HUB)`,
      );
    }
    if (response.status === 204) return undefined;
    const text = await response.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!response.ok) {
      const p = (parsed ?? {}) as ProblemBody;
      const fields = (p.errors ?? []).map((e) => `\n  - ${e.field || "(document)"}: ${e.message}`).join("");
      const hint = response.status === 401 ? loginHint(auth) : "";
      // Bad input exits 2, as a local validation error does (`gantry plan`, `gantry apply`); other refusals 1.
      throw new CliError(
        `error: ${p.code ?? response.status}: ${p.detail ?? response.statusText}${fields}${hint}`,
        p.code === "validation_failed" ? 2 : 1,
      );
    }
    return parsed;
  };
  return {
    get: (path: string) => request("GET", path),
    delete: (path: string) => request("DELETE", path),
    post: (path: string, text: string, type = "application/yaml") => request("POST", path, { text, type }),
    put: (path: string, text: string, type = "application/yaml") => request("PUT", path, { text, type }),
  };
};
export type HubClient = ReturnType<typeof hubClient>;

/** The client for a command: `--hub` and the token from `--token`, `GANTRY_TOKEN` or the local admin token. */
export const clientFor = (cmd: Command): HubClient => {
  const { hub, token } = cmd.optsWithGlobals<{ hub: string; token?: string }>();
  return hubClient(hub, resolveToken({ flag: token, env: process.env, hub }));
};

export const defaultHub = (env: NodeJS.ProcessEnv): string => env.GANTRY_HUB ?? "http://127.0.0.1:8080";
