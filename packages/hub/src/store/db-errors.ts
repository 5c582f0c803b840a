import { HubError } from "../errors.ts";

/** SQLSTATEs and Node error codes that mean "the database is not there right now", not "the request is wrong". */
const UNAVAILABLE_SQLSTATES = new Set([
  "08000", // connection_exception
  "08001", // sqlclient_unable_to_establish_sqlconnection
  "08003", // connection_does_not_exist
  "08004", // sqlserver_rejected_establishment_of_sqlconnection
  "08006", // connection_failure
  "57P01", // admin_shutdown (pg_terminate_backend)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "55P03", // lock_not_available (lock_timeout)
  "57014", // query_canceled (statement_timeout)
  "53300", // too_many_connections
]);
const UNAVAILABLE_NODE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
const UNAVAILABLE_MESSAGES = [
  "Connection terminated",
  "timeout exceeded when trying to connect",
  "Client has encountered a connection error",
  "Connection ended unexpectedly",
  "Client was closed",
  "Cannot use a pool after calling end",
];

/** Serialisation failures and deadlocks: the transaction may simply be run again. */
const RETRYABLE_SQLSTATES = new Set(["40001", "40P01"]);

const codesOf = (error: unknown): { code?: string; message: string }[] => {
  const out: { code?: string; message: string }[] = [];
  let e: unknown = error;
  for (let depth = 0; e && depth < 5; depth++) {
    if (typeof e !== "object") break;
    const o = e as { code?: unknown; message?: unknown; cause?: unknown };
    out.push({ ...(typeof o.code === "string" ? { code: o.code } : {}), message: String(o.message ?? "") });
    e = o.cause;
  }
  return out;
};

/** True when the error (or one it wraps: drizzle wraps pg's) says the database is unreachable or timed out. */
export const isUnavailable = (error: unknown): boolean =>
  codesOf(error).some(
    ({ code, message }) =>
      (code !== undefined && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_NODE.has(code))) ||
      UNAVAILABLE_MESSAGES.some((m) => message.includes(m)),
  );

export const isRetryable = (error: unknown): boolean =>
  codesOf(error).some(({ code }) => code !== undefined && RETRYABLE_SQLSTATES.has(code));

/** The innermost message, for one-line reports. */
export const rootMessage = (error: unknown): string => {
  const chain = codesOf(error);
  const last = chain.at(-1);
  return last ? `${last.code ? `${last.code}: ` : ""}${last.message}` : String(error);
};

/** What a caller sees when the database is down: 503 `database_unavailable`, retry shortly. */
export const databaseUnavailable = (error: unknown): HubError =>
  new HubError("database_unavailable", `the database is unavailable right now (${rootMessage(error)}); retry shortly`);

/** A URL safe to print: the password removed. */
export const redactUrl = (url: string): string => {
  if (!URL.canParse(url)) return url;
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
};
