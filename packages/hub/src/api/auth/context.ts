import type { Context } from "hono";
import { HubError } from "../../errors.ts";
import type { Principal } from "./principal.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** Set by `requestId()` on every request. */
    requestId: string;
    /** Set by `authenticate()` on every request that is not public. */
    principal: Principal;
    /** A repeated refusal (rate limited again) the refusal audit should not write another row for. */
    auditQuiet: boolean;
  }
}

/**
 * The caller of a non-public route. Throws 401 if the authentication middleware did not run, so a route
 * mounted outside it fails closed rather than open.
 */
export const principalOf = (c: Context): Principal => {
  const p: Principal | undefined = c.get("principal");
  if (!p) throw new HubError("unauthenticated", "this route needs Authorization: Bearer <token>");
  return p;
};
