import { Budget, BurstPolicy, Dataset, parseDocuments, parseWith, ValidationError, Workload } from "@gantry/shared";
import { Command } from "commander";
import { clientFor, type HubClient } from "../client.ts";
import { ExitCode } from "../exit-codes.ts";
import { type Doc, kindFor } from "../kinds.ts";
import { CliError } from "../output.ts";
import { readInput } from "./workloads.ts";

type Out = (text: string) => void;

/** A document ready to send: its kind, name, the body the hub takes, and (Workload) the tenant it names. */
export type Resource =
  | { kind: "Workload"; name: string; tenant: string | undefined; body: Workload }
  | { kind: "BurstPolicy"; name: string; body: BurstPolicy }
  | { kind: "Budget"; name: string; body: Budget }
  | { kind: "Dataset"; name: string; body: Dataset }
  | { kind: "Cluster"; name: string };

const applyKinds = ["Workload", "BurstPolicy", "Budget", "Dataset", "Cluster"] as const;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** What the hub sets (status, uid, resource version, creation time): accepted and dropped, so `get -o yaml` applies. */
const withoutReadOnly = (doc: Record<string, unknown>): Record<string, unknown> => {
  const { status: _status, warnings: _warnings, ...rest } = doc;
  if (isRecord(rest.metadata)) {
    const { uid: _u, resourceVersion: _r, creationTimestamp: _c, ...m } = rest.metadata;
    rest.metadata = m;
  }
  return rest;
};

/** The documents of a file, with `kind: List` documents (what `get -o yaml` prints for a list) opened up. */
const flatten = (docs: unknown[], file: string): { doc: unknown; where: string }[] =>
  docs.flatMap((doc, i) => {
    const where = `${file} (document ${i + 1})`;
    if (isRecord(doc) && doc.kind === "List") {
      if (!Array.isArray(doc.items)) {
        throw new ValidationError([{ field: "items", message: "a List needs items: [...]" }], where);
      }
      return doc.items.map((item, j) => ({ doc: item, where: `${where}, items[${j}]` }));
    }
    return [{ doc, where }];
  });

/** Parse and validate every document locally first, so a bad file changes nothing on the hub. */
export const parseResources = (text: string, file: string): Resource[] =>
  flatten(parseDocuments(text, file), file).map(({ doc, where }): Resource => {
    const kind = isRecord(doc) ? doc.kind : undefined;
    if (!isRecord(doc) || !applyKinds.some((k) => k === kind)) {
      throw new ValidationError(
        [{ field: "kind", message: `must be one of ${applyKinds.join(", ")} or List (got ${JSON.stringify(kind)})` }],
        where,
      );
    }
    const clean = withoutReadOnly(doc);
    if (kind === "Workload") {
      const explicit = isRecord(clean.metadata) && typeof clean.metadata.tenant === "string";
      const body = parseWith(Workload, clean, where);
      return { kind, name: body.metadata.name, tenant: explicit ? body.metadata.tenant : undefined, body };
    }
    if (kind === "BurstPolicy") {
      const body = parseWith(BurstPolicy, clean, where);
      return { kind, name: body.metadata.name, body };
    }
    if (kind === "Budget") {
      const body = parseWith(Budget, clean, where);
      return { kind, name: body.metadata.name, body };
    }
    const name = isRecord(clean.metadata) ? clean.metadata.name : undefined;
    if (typeof name !== "string" || name === "") {
      throw new ValidationError([{ field: "metadata.name", message: "required" }], where);
    }
    if (kind === "Cluster") return { kind, name };
    // A Dataset document is the hub's flat dataset record with its fields under spec.
    const body = parseWith(Dataset, { name, ...(isRecord(clean.spec) ? clean.spec : {}) }, where);
    return { kind: "Dataset", name, body };
  });

/** Key-order-free equality of two JSON values (the hub may return fields in another order). */
const sameJson = (a: unknown, b: unknown): boolean => {
  const canon = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canon)
      : isRecord(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .filter((k) => v[k] !== undefined)
              .map((k) => [k, canon(v[k])]),
          )
        : v;
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b));
};

/** The stored object, or undefined when the hub has none of that name. */
const current = async (api: HubClient, kind: string, name: string): Promise<Doc | undefined> => {
  try {
    return await kindFor(kind, "apply").get(api, name, undefined);
  } catch (e) {
    if (e instanceof CliError && e.exitCode === ExitCode.notFound) return undefined;
    throw e;
  }
};

const enc = encodeURIComponent;

/** Send one resource; returns what happened, as kubectl says it. */
export const applyResource = async (
  api: HubClient,
  r: Resource,
  tenantFlag: string | undefined,
): Promise<"created" | "configured" | "unchanged"> => {
  const json = (body: unknown) => JSON.stringify(body);
  if (r.kind === "Workload") {
    const tenant = r.tenant ?? tenantFlag;
    const path = tenant ? `/tenants/${enc(tenant)}/workloads/${enc(r.name)}` : `/workloads/${enc(r.name)}`;
    const res = await api.exchange("PUT", path, { text: json(r.body), type: "application/json" });
    const said = res.headers.get("gantry-apply-result");
    return said === "created" || said === "unchanged" ? said : res.status === 201 ? "created" : "configured";
  }
  if (r.kind === "Cluster") {
    if (await current(api, "cluster", r.name)) return "unchanged";
    throw new CliError(
      `cluster/${r.name} is not registered; register it with \`gantry cluster add ${r.name}\` (apply does not mint agents' credentials)`,
      ExitCode.notFound,
    );
  }
  const stored = await current(api, r.kind, r.name);
  if (r.kind === "Dataset") {
    if (stored && sameJson({ name: r.name, ...(stored.spec as object) }, r.body)) return "unchanged";
    await api.put(`/datasets/${enc(r.name)}`, json(r.body), "application/json");
    return stored ? "configured" : "created";
  }
  if (stored && sameJson(withoutReadOnly(stored), r.body)) return "unchanged";
  const path = r.kind === "BurstPolicy" ? `/policies/${enc(r.name)}` : `/budgets/${enc(r.name)}`;
  await api.put(path, json(r.body), "application/json");
  return stored ? "configured" : "created";
};

/** `gantry apply -f FILE`: create or update every resource in a file (several documents, or a `kind: List`). */
export const applyCommand = (out: Out, err: Out): Command =>
  new Command("apply")
    .description("create or update resources from YAML/JSON: Workload, BurstPolicy, Budget, Dataset (and List)")
    .requiredOption("-f, --file <file>", "resource file (several documents or a kind: List allowed), or - for stdin")
    .action(async (opts: { file: string }, cmd: Command) => {
      const resources = parseResources(await readInput(opts.file), opts.file);
      const api = clientFor(cmd);
      const tenant = cmd.optsWithGlobals<{ tenant?: string }>().tenant;
      // Like kubectl: each document in turn, errors reported as they come; the first one's exit code is the command's.
      let failed: CliError | undefined;
      for (const r of resources) {
        try {
          out(`${r.kind.toLowerCase()}/${r.name} ${await applyResource(api, r, tenant)}`);
        } catch (e) {
          if (!(e instanceof CliError) || e.exitCode === ExitCode.unreachable) throw e;
          err(`${r.kind.toLowerCase()}/${r.name}: ${e.message}`);
          failed ??= e;
        }
      }
      if (failed) throw new CliError(`apply: not every resource was applied`, failed.exitCode);
    });
