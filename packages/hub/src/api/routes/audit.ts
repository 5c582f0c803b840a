import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { HubError } from "../../errors.ts";
import type { AuditRow } from "../../store/schema-auth.ts";
import { authorize } from "../auth/authorize.ts";
import { principalOf } from "../auth/context.ts";
import type { ApiDeps } from "../deps.ts";
import { problemResponses } from "../openapi.ts";

export const AuditQuery = z
  .object({
    subject: z.string().min(1).optional(),
    tenant: z.string().min(1).optional(),
    action: z.string().min(1).optional(),
    outcome: z.enum(["success", "denied", "failed"]).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    continue: z.string().min(1).max(200).optional(),
  })
  .strict();

const AuditItem = z.object({
  id: z.number(),
  at: z.string(),
  subject: z.string(),
  role: z.string().nullable(),
  tenant: z.string().nullable(),
  action: z.string(),
  object: z.object({ kind: z.string(), name: z.string().nullable(), tenant: z.string().nullable() }).nullable(),
  outcome: z.string(),
  status: z.number(),
  requestId: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()).nullable(),
});
const item = (r: AuditRow): z.infer<typeof AuditItem> => ({
  id: r.id,
  at: r.at.toISOString(),
  subject: r.subject,
  role: r.role,
  tenant: r.tenant,
  action: r.action,
  object: r.objectKind === null ? null : { kind: r.objectKind, name: r.objectName, tenant: r.objectTenant },
  outcome: r.outcome,
  status: r.status,
  requestId: r.requestId,
  detail: r.detail,
});

/** The audit log, newest first, filtered and paged (`limit`, then `continue` from the previous page). */
export const auditRoutes = (deps: ApiDeps) => {
  // Bad queries and paths answer problem+json like every other route (without the hook: a bare JSON 400).
  const app = new OpenAPIHono(deps.defaultHook ? { defaultHook: deps.defaultHook } : {});

  app.openapi(
    createRoute({
      method: "get",
      path: "/audit",
      operationId: "listAudit",
      summary: "Who did what, newest first; refused calls included",
      request: { query: AuditQuery },
      responses: {
        200: {
          description: "Audit rows",
          content: {
            "application/json": {
              schema: z.object({ items: z.array(AuditItem), continue: z.string().optional() }),
            },
          },
        },
        ...problemResponses(400, 401, 403, 429),
      },
    }),
    async (c) => {
      authorize(principalOf(c), "audit:read");
      const q = c.req.valid("query");
      const from = q.from === undefined ? undefined : new Date(q.from);
      const to = q.to === undefined ? undefined : new Date(q.to);
      if (from && to && from >= to) {
        throw new HubError("validation_failed", "from must be before to", [
          { field: "from", message: "must be before to" },
        ]);
      }
      const page = await deps.store.audit.list({
        limit: q.limit,
        ...(q.subject ? { subject: q.subject } : {}),
        ...(q.tenant ? { tenant: q.tenant } : {}),
        ...(q.action ? { action: q.action } : {}),
        ...(q.outcome ? { outcome: q.outcome } : {}),
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
        ...(q.continue ? { continue: q.continue } : {}),
      });
      return c.json({ items: page.items.map(item), ...(page.continue ? { continue: page.continue } : {}) }, 200);
    },
  );

  return app;
};
