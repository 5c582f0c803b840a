import { z } from "zod";

/** The four roles, from most to least powerful. */
export const Role = z.enum(["admin", "operator", "member", "viewer"]);
export type Role = z.infer<typeof Role>;

/** How the hub learnt who the caller is. */
export type PrincipalSource = "token" | "oidc" | "bootstrap";

/**
 * Who is calling, as the authentication middleware established it. `tenant` binds a member (always) or a
 * viewer (optionally) to one tenant; admins and operators act across tenants and carry none.
 */
export interface Principal {
  /** Stable and unique at any time: `token:<name>`, `oidc:<sub>`; audit rows and rate limits are keyed on it. */
  subject: string;
  role: Role;
  tenant: string | null;
  tokenId?: string;
  via: PrincipalSource;
}

/** Which tenants a principal's reads and writes reach: every tenant, one, or (a member without a tenant) none. */
export const reachOf = (p: Principal): "all" | { tenant: string } | "none" => {
  if (p.role === "admin" || p.role === "operator") return "all";
  if (p.tenant !== null) return { tenant: p.tenant };
  return p.role === "viewer" ? "all" : "none";
};

/** "an admin", "a member of tenant a", "a viewer of all tenants": the subject of every refusal sentence. */
export const describePrincipal = (p: Principal): string => {
  if (p.role === "admin") return "an admin";
  if (p.role === "operator") return "an operator";
  const reach = reachOf(p);
  const article = p.role === "member" ? "a member" : "a viewer";
  if (reach === "all") return `${article} of all tenants`;
  if (reach === "none") return `${article} without a tenant`;
  return `${article} of tenant ${reach.tenant}`;
};
