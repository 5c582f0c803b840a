import { Command } from "commander";
import { clientFor } from "../client.ts";
import { ExitCode } from "../exit-codes.ts";
import { age, CliError, parseFormat, render, table } from "../output.ts";

type Out = (text: string) => void;

interface TokenView {
  id: string;
  name: string;
  role: string;
  tenant: string | null;
  hint: string;
  bootstrap: boolean;
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
}
interface AuditView {
  id: number;
  at: string;
  subject: string;
  role: string | null;
  action: string;
  object: { kind: string; name: string | null; tenant: string | null } | null;
  outcome: string;
  status: number;
  requestId: string | null;
}

const roles = ["admin", "operator", "member", "viewer"];

/** `gantry token create|list|revoke`: API tokens (the secret is printed once, at creation). */
const tokenCommand = (out: Out): Command => {
  const token = new Command("token").description("API tokens: create, list, revoke");

  token
    .command("create <name>")
    .description("mint a token; its secret is printed once and cannot be shown again")
    .requiredOption("--role <role>", "admin | operator | member | viewer")
    .option("-o, --output <format>", "table | json | yaml (json and yaml include the secret too)", "table")
    .action(async (name: string, opts: { role: string; tenant?: string; output: string }, cmd: Command) => {
      if (!roles.includes(opts.role)) {
        throw new CliError(
          `--role must be one of ${roles.join(", ")} (got ${JSON.stringify(opts.role)})`,
          ExitCode.usage,
        );
      }
      const format = parseFormat(opts.output);
      // -t/--tenant is the program's option: the tenant of a member (required) or viewer (else it reads all).
      const tenant = opts.tenant ?? cmd.optsWithGlobals<{ tenant?: string }>().tenant;
      const body = JSON.stringify({ name, role: opts.role, ...(tenant ? { tenant } : {}) });
      const t = (await clientFor(cmd).post("/tokens", body, "application/json")) as TokenView & { token: string };
      out(
        render(t, format, () =>
          [
            `token/${t.name} created (id ${t.id}, role ${t.role}${t.tenant ? `, tenant ${t.tenant}` : ""})`,
            t.token,
            "Store it now: the hub keeps only its hash and cannot show it again.",
          ].join("\n"),
        ),
      );
    });

  token
    .command("list")
    .description("list tokens (never their secrets)")
    .option("--all", "include revoked tokens")
    .option("-o, --output <format>", "table | json | yaml", "table")
    .action(async (opts: { all?: boolean; output: string }, cmd: Command) => {
      const format = parseFormat(opts.output);
      const { items } = (await clientFor(cmd).get(`/tokens${opts.all ? "?includeRevoked=true" : ""}`)) as {
        items: TokenView[];
      };
      out(
        render(items, format, () =>
          table(
            ["ID", "NAME", "ROLE", "TENANT", "TOKEN", "CREATED BY", "AGE", "STATE"],
            items.map((t) => [
              t.id,
              t.name,
              t.role,
              t.tenant ?? (t.role === "viewer" ? "*" : "-"),
              `${t.hint}…`,
              t.createdBy,
              age(t.createdAt),
              t.revokedAt ? `revoked ${age(t.revokedAt)} ago` : t.bootstrap ? "live (bootstrap)" : "live",
            ]),
          ),
        ),
      );
    });

  token
    .command("revoke <id>")
    .description("revoke a token; the hub refuses it from the next request on")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      await clientFor(cmd).delete(`/tokens/${encodeURIComponent(id)}`);
      out(`token/${id} revoked`);
    });

  return token;
};

/** `gantry audit`: who did what, newest first, with the hub's filters; `--continue` pages on. */
const auditCommand = (out: Out): Command =>
  new Command("audit")
    .description("the audit log, newest first (admins and operators)")
    .option("--subject <subject>", "e.g. token:ci or oidc:alice")
    .option("--action <action>", "e.g. workloads:write, tokens:write")
    .option("--outcome <outcome>", "success | denied | failed")
    .option("--from <iso>", "from (ISO 8601)")
    .option("--to <iso>", "to (ISO 8601)")
    .option("--limit <n>", "rows per page (1-1000)", "50")
    .option("--continue <token>", "the next page, as the previous one printed")
    .option("-o, --output <format>", "table | json | yaml", "table")
    .action(async (opts: Record<string, string | undefined>, cmd: Command) => {
      const format = parseFormat(opts.output ?? "table");
      const q = new URLSearchParams();
      const all: Record<string, string | undefined> = {
        ...opts,
        tenant: opts.tenant ?? cmd.optsWithGlobals<{ tenant?: string }>().tenant,
      };
      for (const key of ["subject", "tenant", "action", "outcome", "from", "to", "limit", "continue"] as const) {
        const v = all[key];
        if (v !== undefined) q.set(key, v);
      }
      const page = (await clientFor(cmd).get(`/audit?${q}`)) as { items: AuditView[]; continue?: string };
      out(
        render(page, format, () =>
          [
            table(
              ["TIME", "SUBJECT", "ROLE", "ACTION", "OBJECT", "OUTCOME", "STATUS", "REQUEST"],
              page.items.map((r) => [
                r.at,
                r.subject,
                r.role ?? "-",
                r.action,
                r.object
                  ? `${r.object.tenant ? `${r.object.tenant}/` : ""}${r.object.kind}/${r.object.name ?? ""}`
                  : "-",
                r.outcome,
                r.status,
                r.requestId ?? "-",
              ]),
            ),
            ...(page.continue ? [`more: gantry audit --continue ${page.continue}`] : []),
          ].join("\n"),
        ),
      );
    });

/** The token and audit commands, for main.ts. */
export const tokenCommands = (out: Out): Command[] => [tokenCommand(out), auditCommand(out)];
