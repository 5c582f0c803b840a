import { API_VERSION } from "@gantry/shared";
import { Command } from "commander";
import { stringify } from "yaml";
import { clientFor, type HubClient } from "../client.ts";
import { ExitCode } from "../exit-codes.ts";
import { columnsFor, type Doc, type KindSpec, kindFor, kinds, refOf } from "../kinds.ts";
import { CliError, type OutputFormat, parseFormat, table, terminalWidth } from "../output.ts";
import { readEvents } from "../sse.ts";

type Out = (text: string) => void;

/** A list as `-o yaml|json` prints it: a `kind: List` document `apply -f` takes back unchanged. */
export const listDocument = (items: readonly Doc[]) => ({ apiVersion: API_VERSION, kind: "List", items });

/** A document with its fields in the order people read them: apiVersion, kind, metadata, spec, status, the rest. */
export const ordered = (d: Doc): Doc => {
  const { apiVersion, kind, metadata, spec, status, ...rest } = d;
  return {
    apiVersion,
    kind,
    metadata,
    ...(spec !== undefined ? { spec } : {}),
    ...(status !== undefined ? { status } : {}),
    ...rest,
  };
};

/** Objects in the requested format: a table (or wide), `kind/name` lines, or one JSON/YAML document. */
export const renderDocs = (
  spec: KindSpec,
  docs: readonly Doc[],
  format: OutputFormat,
  single: boolean,
  /** Now on the hub's work clock (ages are measured on it: simulated under `gantry up --seconds-per-hour`). */
  now = Date.now(),
): string => {
  if (format === "name") return docs.map((d) => refOf(spec, d)).join("\n");
  const value = single && docs[0] ? ordered(docs[0]) : listDocument(docs.map(ordered));
  if (format === "json") return JSON.stringify(value, null, 2);
  if (format === "yaml") return stringify(value).trimEnd();
  const columns = columnsFor(spec, format === "wide");
  return table(
    columns.map((c) => c.header),
    docs.map((d) => columns.map((c) => c.value(d, now))),
    format === "wide" ? undefined : terminalWidth(),
  );
};

interface GetOptions {
  output: string;
  selector?: string;
  allTenants?: boolean;
  watch?: boolean;
  watchOnly?: boolean;
}

/** Follow the hub's workload watch (SSE), printing each change as it comes, until interrupted. */
const watchWorkloads = async (
  api: HubClient,
  spec: KindSpec,
  out: Out,
  format: OutputFormat,
  q: { tenant?: string | undefined; name?: string | undefined; selector?: string | undefined; skipInitial: boolean },
): Promise<void> => {
  const query = new URLSearchParams({ watch: "true" });
  if (q.selector) query.set("labelSelector", q.selector);
  if (q.tenant) query.set("tenant", q.tenant);
  if (q.skipInitial) {
    const page = (await api.get(`/workloads?limit=1${q.tenant ? `&tenant=${encodeURIComponent(q.tenant)}` : ""}`)) as {
      metadata: { resourceVersion?: string };
    };
    if (page.metadata.resourceVersion) query.set("resourceVersion", page.metadata.resourceVersion);
  }
  const response = await api.stream(`/workloads?${query}`);
  let headerPrinted = false;
  const columns = columnsFor(spec, format === "wide");
  for await (const event of readEvents(response)) {
    if (event.event !== "ADDED" && event.event !== "MODIFIED" && event.event !== "DELETED") continue;
    const { type, object } = JSON.parse(event.data) as { type: string; object: Doc };
    if (q.name !== undefined && object.metadata.name !== q.name) continue;
    if (format === "json") out(JSON.stringify({ type, object }));
    else if (format === "yaml") out(`---\n${stringify({ type, object }).trimEnd()}`);
    else if (format === "name") out(`${refOf(spec, object)} ${type}`);
    else if (type === "DELETED") out(`${object.metadata.name}   DELETED`);
    else {
      const t = table(
        columns.map((c) => c.header),
        [columns.map((c) => c.value(object, api.workNow()))],
      ).split("\n");
      // One header, then a row per change (column widths are each row's own: kubectl does the same when watching).
      if (!headerPrinted) out(t[0] ?? "");
      headerPrinted = true;
      out(t[1] ?? "");
    }
  }
  throw new CliError(`the hub at ${api.base} closed the watch`, ExitCode.unreachable);
};

/** `gantry get KIND [NAME...]`: list or read any kind, as a table or as documents `apply -f` takes back. */
export const getCommand = (out: Out): Command =>
  new Command("get")
    .description(`list or read resources: ${kinds.map((k) => k.names[1]).join(", ")}`)
    .argument("<kind>", kinds.map((k) => k.names.join("|")).join(", "))
    .argument("[names...]", "read these objects (a missing one exits 3)")
    .option("-o, --output <format>", "table | wide | json | yaml | name", "table")
    .option("-l, --selector <selector>", "label selector, e.g. team=vision,env!=dev (workloads, clusters)")
    .option("-A, --all-tenants", "every tenant's workloads (the default when -t is not given)")
    .option("-w, --watch", "after listing, follow changes (workloads)")
    .option("--watch-only", "follow changes without listing first (workloads)")
    .action(async (kind: string, names: string[], opts: GetOptions, cmd: Command) => {
      const spec = kindFor(kind, "get");
      const format = parseFormat(opts.output);
      const tenant = cmd.optsWithGlobals<{ tenant?: string }>().tenant;
      if (opts.allTenants && tenant) throw new CliError("get: -A and -t exclude each other", ExitCode.usage);
      if ((opts.watch || opts.watchOnly) && spec.kind !== "Workload") {
        throw new CliError(`get: -w follows workloads only (the hub watches workloads; got ${kind})`, ExitCode.usage);
      }
      if (names.length > 0 && opts.selector) throw new CliError("get: give names or -l, not both", ExitCode.usage);
      const api = clientFor(cmd);
      const q = { tenant: opts.allTenants ? undefined : tenant, allTenants: opts.allTenants, selector: opts.selector };
      if (!opts.watchOnly) {
        const docs =
          names.length > 0
            ? await Promise.all(names.map((n) => spec.get(api, n, spec.tenanted ? q.tenant : undefined)))
            : await spec.list(api, q);
        out(renderDocs(spec, docs, format, names.length === 1, api.workNow()));
      }
      if (opts.watch || opts.watchOnly) {
        if (names.length > 1) throw new CliError("get -w: watch one name or a whole list", ExitCode.usage);
        await watchWorkloads(api, spec, out, format, {
          tenant: q.tenant,
          name: names[0],
          selector: opts.selector,
          skipInitial: !opts.watchOnly,
        });
      }
    });
