import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { HubError } from "../../errors.ts";
import type { AuditEntry, AuditRepository } from "../../store/audit.ts";
import type { Clock } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
import type { Action } from "./authorize.ts";
import { principalOf } from "./context.ts";
import type { Principal } from "./principal.ts";

/** The object a call concerns, as the audit log names it. */
export interface AuditObject {
  kind: string;
  name?: string | null;
  tenant?: string | null;
}

/**
 * The audit row for a successful change, from the request's principal and id: what a route passes to the
 * store method that makes the change, which writes it with `recordAudit` in the same transaction.
 */
export const auditEntry = (
  c: Context,
  at: Date,
  fields: { action: Action; object?: AuditObject; status: number; detail?: Record<string, unknown> },
): AuditEntry => {
  const p = principalOf(c);
  return {
    at,
    subject: p.subject,
    role: p.role,
    tenant: p.tenant,
    action: fields.action,
    outcome: "success",
    status: fields.status,
    requestId: c.get("requestId") ?? null,
    ...(fields.object ? { object: fields.object } : {}),
    detail: { ...(p.tokenId ? { tokenId: p.tokenId } : {}), via: p.via, ...fields.detail },
  };
};

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/**
 * Best-effort object of a refused call from its path: `/api/v1/tenants/a/workloads/x` is workloads `x` of
 * tenant `a`, `/api/v1/tokens/t1` is tokens `t1`. (A refused call may never have reached a route that knows.)
 */
export const objectOfPath = (path: string): AuditObject | undefined => {
  const parts = path
    .replace(/^\/api\/v1\/?/, "")
    .split("/")
    .filter(Boolean)
    .map(decode);
  let object: AuditObject | undefined;
  let tenant: string | null = null;
  for (let i = 0; i < parts.length; i += 2) {
    const kind = parts[i] as string;
    const name = parts[i + 1] ?? null;
    if (kind === "tenants" && name !== null) tenant = name;
    object = { kind, name, tenant: kind === "tenants" ? name : tenant };
  }
  return object;
};

const mutating = new Set(["POST", "PUT", "PATCH", "DELETE"]);

const outcomeOf = (status: number): AuditEntry["outcome"] =>
  status === 401 || status === 403 || status === 429 ? "denied" : "failed";

/**
 * Record refused mutating calls (any 4xx): nothing changed, so there is no transaction to join and the row
 * is written alone. Successful changes are recorded by their store transaction, not here. A failure to
 * write the row is logged, and the caller still gets its answer.
 */
export const auditRefusals = (deps: { audit: Pick<AuditRepository, "record">; clock: Clock; logger: Logger }) =>
  createMiddleware(async (c, next) => {
    await next();
    const status = c.res.status;
    if (!mutating.has(c.req.method) || status < 400 || status >= 500 || c.get("auditQuiet")) return;
    const p: Principal | undefined = c.get("principal");
    const error = c.error instanceof HubError ? c.error : undefined;
    const named = (error?.details as { action?: unknown } | undefined)?.action;
    const object = objectOfPath(c.req.path);
    const entry: AuditEntry = {
      at: deps.clock.now(),
      subject: p?.subject ?? "anonymous",
      role: p?.role ?? null,
      tenant: p?.tenant ?? null,
      action: typeof named === "string" ? named : `${c.req.method} ${c.req.path}`,
      outcome: outcomeOf(status),
      status,
      requestId: c.get("requestId") ?? null,
      ...(object ? { object } : {}),
      detail: {
        method: c.req.method,
        path: c.req.path,
        ...(error ? { code: error.code, message: error.message } : {}),
        ...(p?.tokenId ? { tokenId: p.tokenId } : {}),
        ...(p ? { via: p.via } : {}),
      },
    };
    try {
      await deps.audit.record(entry);
    } catch (e) {
      deps.logger.error({ err: e, requestId: entry.requestId }, "could not write the audit row of a refused call");
    }
  });
