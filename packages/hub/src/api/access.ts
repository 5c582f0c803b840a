import type { Context } from "hono";

/** What a route may ask of the caller's identity (implemented by the authentication layer). */
export interface Access {
  /** Tenants whose workloads the caller may see; undefined means every tenant. */
  visibleTenants(c: Context): readonly string[] | undefined;
  /** Throw a 403 HubError unless the caller may do `action` (on `tenant`, when the action is tenant-scoped). */
  require(c: Context, action: string, tenant?: string): void;
  /** The caller's own tenant, the default for commands that name none. */
  defaultTenant(c: Context): string | undefined;
}
