import { HubError } from "../../errors.ts";
import { describePrincipal, type Principal, type Role, reachOf } from "./principal.ts";

/** Everything a caller can ask the hub to do, closed: a route names one of these, never a free string. */
export const actions = [
  "workloads:read",
  "workloads:write",
  "fleet:read",
  "clusters:write",
  "datasets:write",
  "policies:read",
  "policies:write",
  "budgets:read",
  "budgets:write",
  "costs:read",
  "tokens:read",
  "tokens:write",
  "audit:read",
] as const;
export type Action = (typeof actions)[number];

/** The tenant an action touches. Omitted on a tenant-scoped action it means "every tenant" (lists, reports). */
export interface Scope {
  tenant: string;
}

interface Rule {
  /** Who may do it at all. */
  roles: readonly Role[];
  /** Whether the principal's tenant reach must cover the scope's tenant. */
  tenantScoped: boolean;
  /** For the refusal sentence: "cannot <phrase>". */
  phrase: string;
}

const all: readonly Role[] = ["admin", "operator", "member", "viewer"];
const operators: readonly Role[] = ["admin", "operator"];

/** The policy as data, one row per action; `authorize` only reads it. */
const rules: Record<Action, Rule> = {
  "workloads:read": { roles: all, tenantScoped: true, phrase: "read workloads" },
  "workloads:write": {
    roles: ["admin", "member"],
    tenantScoped: true,
    phrase: "submit, change or delete workloads",
  },
  "fleet:read": { roles: all, tenantScoped: false, phrase: "read clusters and datasets" },
  "clusters:write": { roles: operators, tenantScoped: false, phrase: "change clusters" },
  "datasets:write": { roles: operators, tenantScoped: false, phrase: "change datasets" },
  "policies:read": { roles: all, tenantScoped: false, phrase: "read burst policies" },
  "policies:write": { roles: operators, tenantScoped: false, phrase: "change burst policies" },
  "budgets:read": { roles: all, tenantScoped: true, phrase: "read budgets" },
  "budgets:write": { roles: operators, tenantScoped: true, phrase: "change budgets" },
  "costs:read": { roles: all, tenantScoped: true, phrase: "read costs" },
  "tokens:read": { roles: operators, tenantScoped: false, phrase: "list API tokens" },
  "tokens:write": { roles: operators, tenantScoped: false, phrase: "create or revoke API tokens" },
  "audit:read": { roles: operators, tenantScoped: false, phrase: "read the audit log" },
};

const forbidden = (p: Principal, action: Action, sentence: string, scope?: Scope): HubError =>
  new HubError("forbidden", sentence, { action, ...(scope ? { tenant: scope.tenant } : {}), role: p.role });

/**
 * May `principal` do `action` (on `scope.tenant`)? Returns nothing when it may; throws
 * `HubError("forbidden")` with a sentence saying what it lacked. Pure: no I/O, no clock.
 */
export const authorize = (principal: Principal, action: Action, scope?: Scope): void => {
  const rule = rules[action];
  const who = describePrincipal(principal);
  if (!rule.roles.includes(principal.role)) {
    const needs = rule.roles.map((r) => (r === "member" && rule.tenantScoped ? "member of the tenant" : r));
    throw forbidden(principal, action, `${who} cannot ${rule.phrase} (needs ${needs.join(" or ")})`, scope);
  }
  if (!rule.tenantScoped) return;
  const reach = reachOf(principal);
  if (reach === "all") return;
  if (reach === "none") throw forbidden(principal, action, `${who} cannot ${rule.phrase} of any tenant`, scope);
  if (scope === undefined) {
    throw forbidden(
      principal,
      action,
      `${who} cannot ${rule.phrase} of every tenant; ask for tenant ${reach.tenant}'s`,
      scope,
    );
  }
  if (scope.tenant !== reach.tenant) {
    throw forbidden(principal, action, `${who} cannot ${rule.phrase} of tenant ${scope.tenant}`, scope);
  }
};

/** The tenants a list may show this principal: `"all"`, or one tenant's name (a member without one: refused). */
export const tenantScope = (principal: Principal): "all" | string => {
  const reach = reachOf(principal);
  if (reach === "none") {
    throw new HubError("forbidden", `${describePrincipal(principal)} can see no tenant's data`, {
      role: principal.role,
    });
  }
  return reach === "all" ? "all" : reach.tenant;
};

/** A token's role and tenant, as a creator asks for them. */
export interface Grant {
  role: Role;
  tenant: string | null;
}

/**
 * May `issuer` mint a token with `grant`? Admins mint anything; operators anything below admin (so no one
 * can raise themselves); everyone else nothing. Also guards revocation: an operator cannot revoke an admin.
 */
export const authorizeGrant = (issuer: Principal, grant: Grant, verb: "create" | "revoke" = "create"): void => {
  authorize(issuer, "tokens:write");
  if (issuer.role === "admin") return;
  if (grant.role === "admin") {
    throw new HubError("forbidden", `${describePrincipal(issuer)} cannot ${verb} an admin token (needs admin)`, {
      action: "tokens:write",
      role: issuer.role,
      grant: grant.role,
    });
  }
};
