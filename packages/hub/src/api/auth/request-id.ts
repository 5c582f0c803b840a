import { randomUUID } from "node:crypto";
import { createMiddleware } from "hono/factory";
import "./context.ts";

/** What an incoming X-Request-Id may be: short, printable, safe in logs and headers. */
const sane = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Give every request an id: the caller's `X-Request-Id` when it is sane (so a proxy's id carries through),
 * else a fresh UUID. It is echoed in the response header, every problem+json body and the audit row.
 */
export const requestId = (generate: () => string = randomUUID) =>
  createMiddleware(async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const id = incoming !== undefined && sane.test(incoming) ? incoming : generate();
    c.set("requestId", id);
    await next();
    c.header("X-Request-Id", id);
  });
