import { randomBytes } from "node:crypto";
import type { AuditEntry } from "../../store/audit.ts";
import type { TokenRepository, TokenView } from "../../store/tokens.ts";
import type { Grant } from "./authorize.ts";
import { generateToken } from "./token-secret.ts";

export interface IssuedToken {
  /** The bearer secret: returned once, never stored. */
  token: string;
  view: TokenView;
}

/** `tok_` and 12 hex digits: an id to name a token by in lists, audit rows and `DELETE`, never a secret. */
export const newTokenId = (): string => `tok_${randomBytes(6).toString("hex")}`;

/**
 * Mint a token and store its hash (and `audit`'s row, in the same transaction). Authorization is the
 * caller's: the route checks `authorizeGrant` first.
 */
export const issueToken = async (
  tokens: Pick<TokenRepository, "create">,
  request: Grant & { name: string; createdBy: string; at: Date; id?: string },
  audit?: (id: string) => AuditEntry,
): Promise<IssuedToken> => {
  const secret = generateToken();
  const id = request.id ?? newTokenId();
  const view = await tokens.create(
    {
      id,
      name: request.name,
      role: request.role,
      tenant: request.tenant,
      hash: secret.hash,
      hint: secret.hint,
      createdBy: request.createdBy,
      createdAt: request.at,
    },
    audit?.(id),
  );
  return { token: secret.token, view };
};
