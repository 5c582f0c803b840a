import { readFileSync } from "node:fs";
import { limitsTable, ValidationError } from "@gantry/shared";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import { errorCodesTable, HUB_ERROR_CODES, HubError, type HubErrorCode, notFound } from "../errors.ts";
import { problemHeaders, problemOf, respondProblem } from "./problem.ts";

describe("problemOf", () => {
  it("turns a validation error into 400 naming each field", () => {
    const p = problemOf(new ValidationError([{ field: "spec.replicas", message: "too small" }], "body"));
    expect(p).toEqual({
      type: "https://gantry.dev/problems/validation_failed",
      title: "Invalid request",
      status: 400,
      code: "validation_failed",
      detail: "body is invalid: spec.replicas: too small",
      errors: [{ field: "spec.replicas", message: "too small" }],
    });
  });

  it.each<[HubErrorCode, number]>([
    ["validation_failed", 400],
    ["bad_request", 400],
    ["not_found", 404],
    ["conflict", 409],
    ["unsupported_media_type", 415],
    ["budget_exceeded", 422],
    ["unauthenticated", 401],
    ["forbidden", 403],
    ["rate_limited", 429],
    ["unavailable", 503],
  ])("maps %s to %i with its code", (code, status) => {
    const p = problemOf(new HubError(code, "why"));
    expect(p).toMatchObject({ status, code, detail: "why", type: `https://gantry.dev/problems/${code}` });
    expect(p).not.toHaveProperty("details");
  });

  it("keeps an error's details and says what was not found", () => {
    expect(problemOf(new HubError("budget_exceeded", "over", { limit: 5 })).details).toEqual({ limit: 5 });
    expect(problemOf(notFound("workload", "w")).detail).toBe('workload "w" does not exist');
    expect(problemOf(new HubError("not_found", "x")).title).toBe("not found");
  });

  it("hides an unexpected error behind 500 without leaking its message", () => {
    const p = problemOf(new Error("password=hunter2"));
    expect(p).toMatchObject({ status: 500, code: "internal" });
    expect(JSON.stringify(p)).not.toContain("hunter2");
    expect(problemOf("a string").status).toBe(500);
  });
});

describe("problemOf for hono's own exceptions", () => {
  // Fuzzing found these: hono's validator threw HTTPException(400) for malformed JSON and (415) for text/yaml, and
  // both answered 500.
  it.each([
    [400, "bad_request"],
    [413, "payload_too_large"],
    [415, "unsupported_media_type"],
    [418, "bad_request"],
  ])("keeps an HTTPException(%i) a client error with code %s", (status, code) => {
    const p = problemOf(new HTTPException(status as 400, { message: "Malformed JSON in request body" }));
    expect(p).toMatchObject({ status: status === 418 ? 400 : status, code, detail: "Malformed JSON in request body" });
  });

  it("leaves a 5xx HTTPException an internal error", () => {
    expect(problemOf(new HTTPException(502, { message: "upstream" }))).toMatchObject({ status: 500, code: "internal" });
  });
});

describe("respondProblem", () => {
  it("answers with the problem's status and the problem+json media type", async () => {
    const app = new Hono().get("/", (c) => respondProblem(c, problemOf(new HubError("conflict", "exists"))));
    const r = await app.request("/");
    expect(r.status).toBe(409);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    expect(await r.json()).toMatchObject({ code: "conflict", detail: "exists" });
  });
});

describe("problemHeaders", () => {
  it("challenges a 401 with Bearer and tells a 429 when to retry, in whole seconds", () => {
    expect(problemHeaders(new HubError("unauthenticated", "x"))).toEqual({
      "www-authenticate": 'Bearer realm="gantry"',
    });
    expect(problemHeaders(new HubError("rate_limited", "x", { retryAfterSeconds: 0.2 }))).toEqual({
      "retry-after": "1",
    });
    expect(problemHeaders(new HubError("rate_limited", "x", { retryAfterSeconds: 2.5 }))).toEqual({
      "retry-after": "3",
    });
    expect(problemHeaders(new HubError("conflict", "x"))).toEqual({});
    expect(problemHeaders(new Error("x"))).toEqual({});
  });

  it("puts the request id in the body when the request has one", async () => {
    const app = new Hono()
      .use(async (c, next) => {
        c.set("requestId", "req-7");
        await next();
      })
      .get("/", (c) => respondProblem(c, problemOf(new HubError("forbidden", "no"))));
    expect(await (await app.request("/")).json()).toMatchObject({ code: "forbidden", requestId: "req-7" });
  });
});

describe("the README's tables", () => {
  const readme = readFileSync(new URL("../../../../README.md", import.meta.url), "utf8");

  it("list every error code the API answers with, and its status", () => {
    expect(readme).toContain(errorCodesTable());
    for (const [code, { status }] of Object.entries(HUB_ERROR_CODES)) {
      expect(problemOf(new HubError(code as HubErrorCode, "x")).status).toBe(status);
    }
  });

  it("list every limit as LIMITS has it", () => {
    expect(readme).toContain(limitsTable());
  });
});
