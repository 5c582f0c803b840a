import { describe, expect, it } from "vitest";
import { describeNetworkError } from "./network.ts";

/** What undici throws: `fetch failed`, the reason in `cause`. */
const failed = (cause: unknown) => Object.assign(new TypeError("fetch failed"), { cause });
const errno = (code: string, message = code) => Object.assign(new Error(message), { code });

describe("describeNetworkError", () => {
  const url = "http://hub.example:8080";

  it("names a refused connection with the URL", () => {
    expect(describeNetworkError(failed(errno("ECONNREFUSED")), url)).toBe(
      "connection refused by hub.example:8080 (http://hub.example:8080): is the hub running there? (--hub or GANTRY_HUB)",
    );
  });

  it("finds the code inside an AggregateError (both address families refused)", () => {
    const both = Object.assign(new AggregateError([errno("ECONNREFUSED"), errno("ECONNREFUSED")]), { code: undefined });
    expect(describeNetworkError(failed(both), url)).toMatch(/^connection refused/);
  });

  it("says DNS failure for a name that does not resolve", () => {
    expect(describeNetworkError(failed(errno("ENOTFOUND")), url)).toMatch(/^DNS failure: cannot resolve hub\.example/);
  });

  it("says TLS error for certificate and protocol failures, on one line", () => {
    const tls = errno("ERR_SSL_WRONG_VERSION_NUMBER", "ssl3_get_record:wrong version number\nmore");
    const text = describeNetworkError(failed(tls), "https://hub.example");
    expect(text).toMatch(/^TLS error talking to https:\/\/hub\.example \(ERR_SSL_WRONG_VERSION_NUMBER/);
    expect(text).not.toContain("\n");
    expect(describeNetworkError(failed(errno("DEPTH_ZERO_SELF_SIGNED_CERT")), url)).toMatch(/^TLS error/);
  });

  it("says timeout when the request was aborted by its deadline", () => {
    const timeout = Object.assign(new Error("The operation was aborted due to timeout"), { name: "TimeoutError" });
    expect(describeNetworkError(timeout, url)).toMatch(/did not answer in time \(timeout\)/);
  });

  it("never says only 'fetch failed'", () => {
    expect(describeNetworkError(failed(undefined), url)).toMatch(/^cannot reach the hub at http:\/\/hub\.example:8080/);
  });
});
