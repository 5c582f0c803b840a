import type { Command } from "commander";
import { ExitCode, exitCodeForStatus } from "./exit-codes.ts";
import { describeNetworkError } from "./network.ts";
import { CliError } from "./output.ts";
import { type ResolvedToken, resolveToken } from "./token.ts";

/** RFC 9457 problem details as the hub sends them (only the fields the CLI prints). */
interface ProblemBody {
  code: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { field: string; message: string }[];
  requestId?: string;
}

/** How long a plain request may take; watches and followed logs have none. */
const REQUEST_TIMEOUT_MS = 30_000;

/** What to do about a 401, by where the token came from. */
const loginHint = (auth: ResolvedToken | undefined): string =>
  auth
    ? `\n  the hub refused the token from ${auth.source}; it may be revoked (gantry token list)`
    : "\n  send a token: --token or GANTRY_TOKEN (on the hub's machine, `gantry up` writes one to .gantry/data/admin.token)";

const isProblem = (v: unknown): v is ProblemBody =>
  typeof v === "object" && v !== null && typeof (v as { code?: unknown }).code === "string";

const parseJson = (text: string): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: text ? JSON.parse(text) : undefined };
  } catch {
    return { ok: false };
  }
};

/** The error for an answer that did not come from a Gantry hub (an HTML page, a proxy's JSON, a truncated body). */
const notAHub = (url: string, response: Response, why: string): CliError =>
  new CliError(
    `not a Gantry hub: ${url} answered ${response.status} ${response.statusText || ""}`.trimEnd() +
      ` with ${response.headers.get("content-type") ?? "no content type"} (${why}); check --hub or GANTRY_HUB`,
    ExitCode.unreachable,
  );

/** A problem+json answer as the CLI prints it: code, detail, status and title, then each field at fault. */
export const problemMessage = (p: ProblemBody, status: number): string => {
  const fields = (p.errors ?? []).map((e) => `\n  - ${e.field || "(document)"}: ${e.message}`).join("");
  const title = p.title ? ` ${p.title}` : "";
  const request = p.requestId ? `, request ${p.requestId}` : "";
  return `error: ${p.code}: ${p.detail ?? "(no detail)"} (${status}${title}${request})${fields}`;
};

export interface RequestOptions {
  body?: { text: string; type: string };
  /** Stream the answer (SSE, followed logs): no timeout, and the caller reads the body. */
  stream?: boolean;
}

/** A thin client for the hub's API; every failure becomes a CliError with the documented exit code. */
export const hubClient = (base: string, auth?: ResolvedToken) => {
  /** The hub's work clock as its last response gave it (simulated under `gantry up --seconds-per-hour`). */
  let work: { atMs: number; seenMs: number; rate: number } | undefined;
  const send = async (method: string, path: string, options: RequestOptions = {}): Promise<Response> => {
    const url = new URL(`/api/v1${path}`, base).toString();
    const headers: Record<string, string> = {
      accept: options.stream ? "text/event-stream, application/json" : "application/json",
      ...(options.body ? { "content-type": options.body.type } : {}),
      ...(auth ? { authorization: `Bearer ${auth.token}` } : {}),
    };
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(options.body ? { body: options.body.text } : {}),
        ...(options.stream ? {} : { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }),
      });
    } catch (e) {
      throw new CliError(describeNetworkError(e, base), ExitCode.unreachable);
    }
    const at = Date.parse(response.headers.get("gantry-work-time") ?? "");
    const secondsPerHour = Number(response.headers.get("gantry-seconds-per-hour"));
    if (Number.isFinite(at) && secondsPerHour > 0)
      work = { atMs: at, seenMs: Date.now(), rate: 3_600 / secondsPerHour };
    if (response.ok) return response;
    const text = await response.text().catch(() => "");
    const parsed = parseJson(text);
    if (!parsed.ok || !isProblem(parsed.value)) {
      throw notAHub(url, response, parsed.ok ? "not a problem+json error" : "not JSON");
    }
    const hint = response.status === 401 ? loginHint(auth) : "";
    throw new CliError(`${problemMessage(parsed.value, response.status)}${hint}`, exitCodeForStatus(response.status));
  };

  const exchange = async (
    method: string,
    path: string,
    body?: { text: string; type: string },
  ): Promise<{ status: number; headers: Headers; value: unknown }> => {
    const response = await send(method, path, body ? { body } : {});
    const value = await readJson(response);
    return { status: response.status, headers: response.headers, value };
  };
  const readJson = async (response: Response): Promise<unknown> => {
    if (response.status === 204) return undefined;
    const url = response.url || base;
    const type = response.headers.get("content-type") ?? "";
    let text: string;
    try {
      text = await response.text();
    } catch (e) {
      throw new CliError(describeNetworkError(e, base), ExitCode.unreachable);
    }
    if (!/json/i.test(type)) throw notAHub(url, response, "not JSON");
    const parsed = parseJson(text);
    if (!parsed.ok) throw notAHub(url, response, "not valid JSON");
    return parsed.value;
  };
  const request = async (method: string, path: string, body?: { text: string; type: string }) =>
    (await exchange(method, path, body)).value;
  return {
    /** Now on the hub's work clock (ages of workloads are measured on it); this machine's clock before any reply. */
    workNow: (): number => (work ? work.atMs + (Date.now() - work.seenMs) * work.rate : Date.now()),
    base,
    /** The whole answer (status and headers too), for verbs that report created / changed / unchanged. */
    exchange,
    get: (path: string) => request("GET", path),
    delete: (path: string) => request("DELETE", path),
    post: (path: string, text: string, type = "application/yaml") => request("POST", path, { text, type }),
    put: (path: string, text: string, type = "application/yaml") => request("PUT", path, { text, type }),
    /** A streaming GET (watch, followed logs): the open response, its errors already mapped. */
    stream: (path: string) => send("GET", path, { stream: true }),
  };
};
export type HubClient = ReturnType<typeof hubClient>;

/** The client for a command: `--hub` and the token from `--token`, `GANTRY_TOKEN` or the local admin token. */
export const clientFor = (cmd: Command): HubClient => {
  const { hub, token } = cmd.optsWithGlobals<{ hub: string; token?: string }>();
  return hubClient(hub, resolveToken({ flag: token, env: process.env, hub }));
};

export const defaultHub = (env: NodeJS.ProcessEnv): string => env.GANTRY_HUB ?? "http://127.0.0.1:8080";
