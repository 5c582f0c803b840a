import { and, asc, eq, isNull } from "drizzle-orm";
import type { Role } from "../api/auth/principal.ts";
import { HubError, notFound } from "../errors.ts";
import { type AuditEntry, recordAudit } from "./audit.ts";
import type { Db } from "./db.ts";
import { type ApiTokenRow, apiTokens } from "./schema-auth.ts";

export interface NewToken {
  id: string;
  name: string;
  role: Role;
  tenant: string | null;
  hash: string;
  hint: string;
  createdBy: string;
  createdAt: Date;
  bootstrap?: boolean;
}

/** Token rows without the hash: what lists and the API show. */
export type TokenView = Omit<ApiTokenRow, "hash">;
const view = ({ hash: _hash, ...rest }: ApiTokenRow): TokenView => rest;

/** API tokens (hashes only). Every change writes its audit row in the same transaction. */
export const tokenRepository = (db: Db) => ({
  /** Store a new token; a live token of the same name is a conflict. */
  async create(token: NewToken, audit?: AuditEntry): Promise<TokenView> {
    return db.transaction(async (tx) => {
      const [row] = await tx
        .insert(apiTokens)
        .values({ ...token, bootstrap: token.bootstrap ?? false })
        .onConflictDoNothing()
        .returning();
      if (!row) throw new HubError("conflict", `a live token named ${JSON.stringify(token.name)} already exists`);
      if (audit) await recordAudit(tx, audit);
      return view(row);
    });
  },

  /** The live (not revoked) token with this hash: the one read on every authenticated request. */
  async findLiveByHash(hash: string): Promise<TokenView | undefined> {
    const [row] = await db
      .select()
      .from(apiTokens)
      .where(and(eq(apiTokens.hash, hash), isNull(apiTokens.revokedAt)));
    return row ? view(row) : undefined;
  },

  async get(id: string): Promise<TokenView | undefined> {
    const [row] = await db.select().from(apiTokens).where(eq(apiTokens.id, id));
    return row ? view(row) : undefined;
  },

  async list(options: { includeRevoked?: boolean } = {}): Promise<TokenView[]> {
    const rows = await db
      .select()
      .from(apiTokens)
      .where(options.includeRevoked ? undefined : isNull(apiTokens.revokedAt))
      .orderBy(asc(apiTokens.createdAt), asc(apiTokens.id));
    return rows.map(view);
  },

  /** Revoke a live token: refused from the next request on. A revoked or unknown id is not found. */
  async revoke(id: string, at: Date, audit?: AuditEntry): Promise<TokenView> {
    return db.transaction(async (tx) => {
      const [row] = await tx
        .update(apiTokens)
        .set({ revokedAt: at })
        .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
        .returning();
      if (!row) {
        const [known] = await tx.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.id, id));
        if (known) throw new HubError("not_found", `token ${JSON.stringify(id)} is already revoked`);
        throw notFound("token", id);
      }
      if (audit) await recordAudit(tx, audit);
      return view(row);
    });
  },

  /** Revoke every live bootstrap token and store `token` as the one live bootstrap token, in one transaction. */
  async replaceBootstrap(token: NewToken, audit?: AuditEntry): Promise<TokenView> {
    return db.transaction(async (tx) => {
      await tx
        .update(apiTokens)
        .set({ revokedAt: token.createdAt })
        .where(and(eq(apiTokens.bootstrap, true), isNull(apiTokens.revokedAt)));
      const [row] = await tx
        .insert(apiTokens)
        .values({ ...token, bootstrap: true })
        .onConflictDoNothing()
        .returning();
      if (!row) throw new HubError("conflict", `a live token named ${JSON.stringify(token.name)} already exists`);
      if (audit) await recordAudit(tx, audit);
      return view(row);
    });
  },
});
export type TokenRepository = ReturnType<typeof tokenRepository>;
