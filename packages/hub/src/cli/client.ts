import { CliError } from "./output.ts";

interface ProblemBody {
  code?: string;
  detail?: string;
  errors?: { field: string; message: string }[];
}

/** A thin client for the hub's API; errors become CliErrors naming the code and the fields. */
export const hubClient = (base: string) => {
  const request = async (method: string, path: string, body?: { text: string; type: string }): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetch(new URL(`/api/v1${path}`, base), {
        method,
        ...(body ? { body: body.text, headers: { "content-type": body.type } } : {}),
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
      throw new CliError(`error: ${p.code ?? response.status}: ${p.detail ?? response.statusText}${fields}`);
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

export const defaultHub = (env: NodeJS.ProcessEnv): string => env.GANTRY_HUB ?? "http://127.0.0.1:8080";
