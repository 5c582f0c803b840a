import { describe, expect, it } from "vitest";
import { HubError } from "../../errors.ts";
import { type Action, actions, authorize, authorizeGrant, type Scope, tenantScope } from "./authorize.ts";
import type { Principal, Role } from "./principal.ts";

const who = (role: Role, tenant: string | null): Principal => ({
  subject: `token:${role}-${tenant ?? "all"}`,
  role,
  tenant,
  via: "token",
});

/**
 * The brief's prose, written out independently of the rule table in authorize.ts: for each role, which
 * actions it has, and which tenants they reach.
 */
const expected = (p: Principal, action: Action, scope: Scope | undefined): boolean => {
  const tenantScoped = ["workloads:read", "workloads:write", "budgets:read", "budgets:write", "costs:read"];
  const own = !tenantScoped.includes(action) || (scope !== undefined && scope.tenant === p.tenant);
  switch (p.role) {
    case "admin":
      return true;
    case "operator":
      // clusters, burst policies, budgets, datasets, tokens; reads everything; never writes workloads.
      return action !== "workloads:write";
    case "member":
      // A tenant's workloads (read and write), its budget and costs; the fleet and the policies.
      return (
        ["workloads:read", "workloads:write", "budgets:read", "costs:read", "fleet:read", "policies:read"].includes(
          action,
        ) && own
      );
    case "viewer": {
      const reads = ["workloads:read", "budgets:read", "costs:read", "fleet:read", "policies:read"];
      if (!reads.includes(action)) return false;
      return p.tenant === null || own;
    }
  }
};

const principals = [
  who("admin", null),
  who("operator", null),
  who("member", "a"),
  who("member", "b"),
  who("viewer", "a"),
  who("viewer", null),
];
const scopes: (Scope | undefined)[] = [undefined, { tenant: "a" }, { tenant: "b" }];

const allowed = (p: Principal, action: Action, scope?: Scope): boolean | string => {
  try {
    authorize(p, action, scope);
    return true;
  } catch (e) {
    if (e instanceof HubError && e.code === "forbidden") return false;
    return `threw ${String(e)}`;
  }
};

describe("authorize", () => {
  const cases = principals.flatMap((p) =>
    actions.flatMap((action) =>
      scopes.map((scope) => [p.role, p.tenant ?? "*", action, scope?.tenant ?? "*", p, scope] as const),
    ),
  );

  it.each(cases)("%s of tenant %s doing %s on tenant %s", (_r, _t, action, _s, p, scope) => {
    expect(allowed(p, action, scope)).toBe(expected(p, action, scope));
  });

  it("says who lacked what: a member of tenant a cannot touch tenant b's workloads", () => {
    expect(() => authorize(who("member", "a"), "workloads:write", { tenant: "b" })).toThrow(
      "a member of tenant a cannot submit, change or delete workloads of tenant b",
    );
  });

  it("names the roles that could when the role is wrong", () => {
    expect(() => authorize(who("viewer", null), "workloads:write", { tenant: "a" })).toThrow(
      "a viewer of all tenants cannot submit, change or delete workloads (needs admin or member of the tenant)",
    );
    expect(() => authorize(who("member", "a"), "audit:read")).toThrow(
      "a member of tenant a cannot read the audit log (needs admin or operator)",
    );
  });

  it("refuses a one-tenant caller a list across every tenant, and says which tenant it may ask for", () => {
    expect(() => authorize(who("viewer", "a"), "workloads:read")).toThrow(
      "a viewer of tenant a cannot read workloads of every tenant; ask for tenant a's",
    );
  });

  it("carries the action and tenant in the error's details, for the audit row", () => {
    try {
      authorize(who("member", "a"), "workloads:write", { tenant: "b" });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(HubError);
      expect((e as HubError).details).toEqual({ action: "workloads:write", tenant: "b", role: "member" });
    }
  });

  it("fails closed for a member that somehow has no tenant", () => {
    const orphan = who("member", null);
    expect(allowed(orphan, "workloads:read", { tenant: "a" })).toBe(false);
    expect(allowed(orphan, "fleet:read")).toBe(true);
    expect(() => tenantScope(orphan)).toThrow(HubError);
  });
});

describe("tenantScope", () => {
  it.each<[Role, string | null, string]>([
    ["admin", null, "all"],
    ["operator", null, "all"],
    ["member", "a", "a"],
    ["viewer", "a", "a"],
    ["viewer", null, "all"],
  ])("%s of %s lists %s", (role, tenant, scope) => {
    expect(tenantScope(who(role, tenant))).toBe(scope);
  });

  it("agrees with authorize: what tenantScope offers, a tenant-scoped read allows", () => {
    for (const p of principals) {
      const s = tenantScope(p);
      expect(allowed(p, "workloads:read", s === "all" ? undefined : { tenant: s })).toBe(true);
    }
  });
});

describe("authorizeGrant", () => {
  const roles: Role[] = ["admin", "operator", "member", "viewer"];
  it.each(
    principals.flatMap((issuer) => roles.map((role) => [issuer.role, issuer.tenant ?? "*", role, issuer] as const)),
  )("%s (%s) minting a %s token", (_i, _t, role, issuer) => {
    const expectedOk = issuer.role === "admin" || (issuer.role === "operator" && role !== "admin");
    let ok = true;
    try {
      authorizeGrant(issuer, { role, tenant: role === "member" ? "a" : null });
    } catch (e) {
      expect(e).toBeInstanceOf(HubError);
      expect((e as HubError).code).toBe("forbidden");
      ok = false;
    }
    expect(ok).toBe(expectedOk);
  });

  it("says an operator cannot revoke an admin token", () => {
    expect(() => authorizeGrant(who("operator", null), { role: "admin", tenant: null }, "revoke")).toThrow(
      "an operator cannot revoke an admin token (needs admin)",
    );
  });
});
