/**
 * What a failed `fetch` means, in words: undici reports every failure as `TypeError: fetch failed` and hides the
 * reason in `cause` (an errno code, a TLS code, or an AggregateError of both address families' attempts).
 */
const codeOf = (e: unknown): string | undefined => {
  if (typeof e !== "object" || e === null) return undefined;
  const own = (e as { code?: unknown }).code;
  if (typeof own === "string") return own;
  const errors = (e as { errors?: unknown }).errors;
  if (Array.isArray(errors)) for (const inner of errors) if (codeOf(inner)) return codeOf(inner);
  return codeOf((e as { cause?: unknown }).cause);
};

const messageOf = (e: unknown): string => {
  const cause = (e as { cause?: unknown } | undefined)?.cause;
  if (cause instanceof Error && cause.message) return cause.message;
  return e instanceof Error ? e.message : String(e);
};

const tlsCodes = new Set([
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "EPROTO",
]);

/** One line saying what failed on the way to `url`, and what to check. */
export const describeNetworkError = (error: unknown, url: string): string => {
  const host = (() => {
    try {
      return new URL(url).host;
    } catch {
      return url;
    }
  })();
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `the hub at ${url} did not answer in time (timeout); is it overloaded or behind a blackholed link?`;
  }
  const code = codeOf(error);
  if (code === "ECONNREFUSED")
    return `connection refused by ${host} (${url}): is the hub running there? (--hub or GANTRY_HUB)`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME") {
    return `DNS failure: cannot resolve ${new URL(url).hostname} (${code}); check --hub or GANTRY_HUB`;
  }
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET" || code === "EPIPE") {
    return `the connection to ${url} was reset (${code}); is something other than the hub listening there?`;
  }
  if (code === "ETIMEDOUT" || code === "UND_ERR_CONNECT_TIMEOUT" || code === "EHOSTUNREACH" || code === "ENETUNREACH") {
    return `cannot connect to ${url} (${code}): the host is unreachable or the port filtered`;
  }
  if (
    (code && (tlsCodes.has(code) || code.startsWith("ERR_TLS") || code.startsWith("ERR_SSL"))) ||
    /SSL|TLS|certificate/i.test(messageOf(error))
  ) {
    return `TLS error talking to ${url} (${code ?? "tls"}: ${messageOf(error).trim().split("\n")[0]}); is the scheme (http/https) right and the certificate trusted?`;
  }
  return `cannot reach the hub at ${url} (${code ?? messageOf(error)}); is it running? (--hub or GANTRY_HUB)`;
};
