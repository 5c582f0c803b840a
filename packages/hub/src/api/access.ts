import type { Context } from "hono";
import type { AuditEntry } from "../store/index.ts";
import { type Action, auditEntry, authorize, principalOf, tenantScope } from "./auth/index.ts";

/** What a route may ask of the caller's identity: who may see what, may do what, and the audit row of a change. */
export interface Access {
  /** Tenants whose workloads the caller may see; undefined means every tenant. */
  visibleTenants(c: Context): readonly string[] | undefined;
  /** Throw a 403 HubError unless the caller may do `action` (on `tenant`, when the action is tenant-scoped). */
  require(c: Context, action: Action, tenant?: string): void;
  /** The caller's own tenant, the default for commands that name none. */
  defaultTenant(c: Context): string | undefined;
  /** The audit row for a change the caller makes (written in the change's transaction). */
  audit(
    c: Context,
    action: Action,
    object: { kind: string; name?: string; tenant?: string },
    status: number,
    detail?: Record<string, unknown>,
  ): AuditEntry;
}

/** Access from the authenticated principal the auth middleware put on the request (fails closed without one). */
export const principalAccess = (clock: { now(): Date }): Access => ({
  visibleTenants(c) {
    const scope = tenantScope(principalOf(c));
    return scope === "all" ? undefined : [scope];
  },
  require(c, action, tenant) {
    authorize(principalOf(c), action, tenant === undefined ? undefined : { tenant });
  },
  defaultTenant(c) {
    return principalOf(c).tenant ?? undefined;
  },
  audit(c, action, object, status, detail) {
    return auditEntry(c, clock.now(), { action, object, status, ...(detail ? { detail } : {}) });
  },
});
