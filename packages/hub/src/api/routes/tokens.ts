import { Name } from "@gantry/shared";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { notFound } from "../../errors.ts";
import type { TokenView } from "../../store/tokens.ts";
import { auditEntry } from "../auth/audit.ts";
import { authorize, authorizeGrant } from "../auth/authorize.ts";
import { principalOf } from "../auth/context.ts";
import { issueToken } from "../auth/issue.ts";
import { Role } from "../auth/principal.ts";
import { readBody } from "../body.ts";
import type { ApiDeps } from "../deps.ts";
import { documentedBody, problemResponses } from "../openapi.ts";

/** What `POST /tokens` takes: a member names its tenant; a viewer may (else it reads every tenant). */
export const CreateTokenRequest = z
  .object({
    name: Name,
    role: Role,
    tenant: Name.nullable().default(null),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.role === "member" && t.tenant === null) {
      ctx.addIssue({ code: "custom", path: ["tenant"], message: "a member token needs the tenant it belongs to" });
    }
    if ((t.role === "admin" || t.role === "operator") && t.tenant !== null) {
      ctx.addIssue({
        code: "custom",
        path: ["tenant"],
        message: `an ${t.role} acts across tenants; tenant applies to member and viewer tokens only`,
      });
    }
  });

const TokenInfo = z.object({
  id: z.string(),
  name: z.string(),
  role: Role,
  tenant: z.string().nullable(),
  hint: z.string(),
  bootstrap: z.boolean(),
  createdBy: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
});
const info = (t: TokenView): z.infer<typeof TokenInfo> => ({
  id: t.id,
  name: t.name,
  role: t.role,
  tenant: t.tenant,
  hint: t.hint,
  bootstrap: t.bootstrap,
  createdBy: t.createdBy,
  createdAt: t.createdAt.toISOString(),
  revokedAt: t.revokedAt?.toISOString() ?? null,
});

const IdParam = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: "id", in: "path" } }),
});

/** API tokens: mint (the secret is shown once), list (never the secret), revoke (refused from the next request). */
export const tokenRoutes = (deps: ApiDeps) => {
  // Bad queries and paths answer problem+json like every other route (without the hook: a bare JSON 400).
  const app = new OpenAPIHono(deps.defaultHook ? { defaultHook: deps.defaultHook } : {});
  const { store, clock } = deps;

  app.openapi(
    createRoute({
      method: "post",
      path: "/tokens",
      operationId: "createToken",
      summary: "Mint an API token; the response is the only time its secret is shown",
      request: {
        body: documentedBody(CreateTokenRequest),
      },
      responses: {
        201: {
          description: "Minted",
          content: { "application/json": { schema: TokenInfo.extend({ token: z.string() }) } },
        },
        ...problemResponses(400, 401, 403, 409, 415, 429),
      },
    }),
    async (c) => {
      const issuer = principalOf(c);
      const grant = await readBody(c, CreateTokenRequest, "token");
      authorizeGrant(issuer, grant);
      const at = clock.now();
      const { token, view } = await issueToken(store.tokens, { ...grant, createdBy: issuer.subject, at }, (id) =>
        auditEntry(c, at, {
          action: "tokens:write",
          object: { kind: "tokens", name: id },
          status: 201,
          detail: { operation: "create", name: grant.name, role: grant.role, tenant: grant.tenant },
        }),
      );
      return c.json({ ...info(view), token }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/tokens",
      operationId: "listTokens",
      summary: "List API tokens (never their secrets)",
      request: { query: z.object({ includeRevoked: z.stringbool().default(false) }) },
      responses: {
        200: {
          description: "Tokens",
          content: { "application/json": { schema: z.object({ items: z.array(TokenInfo) }) } },
        },
        ...problemResponses(400, 401, 403, 429),
      },
    }),
    async (c) => {
      authorize(principalOf(c), "tokens:read");
      const { includeRevoked } = c.req.valid("query");
      return c.json({ items: (await store.tokens.list({ includeRevoked })).map(info) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/tokens/{id}",
      operationId: "revokeToken",
      summary: "Revoke an API token; it is refused from the next request on",
      request: { params: IdParam },
      responses: { 204: { description: "Revoked" }, ...problemResponses(401, 403, 404, 429) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const issuer = principalOf(c);
      authorize(issuer, "tokens:write");
      const target = await store.tokens.get(id);
      if (!target) throw notFound("token", id);
      authorizeGrant(issuer, target, "revoke");
      const at = clock.now();
      await store.tokens.revoke(
        id,
        at,
        auditEntry(c, at, {
          action: "tokens:write",
          object: { kind: "tokens", name: id },
          status: 204,
          detail: { operation: "revoke", name: target.name, role: target.role, tenant: target.tenant },
        }),
      );
      return c.body(null, 204);
    },
  );

  return app;
};
