import { API_VERSION, ClusterDescription } from "@gantry/shared";
import type { HubClient } from "./client.ts";
import { ExitCode } from "./exit-codes.ts";
import { age, CliError, copiesText, type DatasetCopyView, usd } from "./output.ts";

/** What `get` needs of a kind: how to list it and read one, its name, its columns (table and wide). */
export interface KindSpec {
  /** The resource's `kind` in documents (`Workload`, `BurstPolicy`…). */
  kind: string;
  /** What users type: singular first (used in `kind/name`), then plural and short forms. */
  names: readonly string[];
  /** Whether the list filters by tenant (`-t`, `-A`). */
  tenanted: boolean;
  list(api: HubClient, q: ListQuery): Promise<Doc[]>;
  get(api: HubClient, name: string, tenant: string | undefined): Promise<Doc>;
  columns: readonly Column[];
}

export interface ListQuery {
  tenant?: string | undefined;
  allTenants?: boolean | undefined;
  selector?: string | undefined;
}

/** A resource as the CLI prints and applies it: Kubernetes-shaped. */
export interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; tenant?: string; labels?: Record<string, string>; [k: string]: unknown };
  spec?: unknown;
  status?: unknown;
  [k: string]: unknown;
}

export interface Column {
  header: string;
  value: (d: Doc, now: number) => string | number;
  /** Only with `-o wide`. */
  wide?: boolean;
}

/** A workload's status as the hub shows it (the fields tables read). */
interface WorkloadStatus {
  phase: string;
  message: string;
  generation?: number;
  createdAt: string;
  policy?: string | null;
  pool?: string | null;
  placements: { cluster: string; replicas: number; active: boolean; spot: boolean; phase: string }[];
}
interface WorkloadSpec {
  type: string;
  replicas: number;
  priority?: number;
  resources: { gpu: { count: number; models: string[] } };
}

const wl = (d: Doc) => ({ spec: d.spec as WorkloadSpec, status: d.status as WorkloadStatus });

/** Where a workload runs: its active placements (or, once done, where it ran). */
export const placementsOf = (d: Doc): string => {
  const { status } = wl(d);
  return (
    status.placements
      .filter((p) => p.active || status.phase === "Succeeded" || status.phase === "Failed")
      .map((p) => `${p.cluster}×${p.replicas}${p.spot ? " (spot)" : ""}`)
      .join(", ") || "-"
  );
};

const enc = encodeURIComponent;
const labelsOf = (d: Doc) =>
  Object.entries(d.metadata.labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(",") || "-";

/** Every page of a paged list. */
const allPages = async (api: HubClient, path: string, query: URLSearchParams): Promise<Doc[]> => {
  const items: Doc[] = [];
  let next: string | undefined;
  do {
    const q = new URLSearchParams(query);
    q.set("limit", "500");
    if (next) q.set("continue", next);
    const page = (await api.get(`${path}?${q}`)) as { items: Doc[]; metadata?: { continue?: string } };
    items.push(...page.items);
    next = page.metadata?.continue;
  } while (next);
  return items;
};

const byName = async (spec: KindSpec, api: HubClient, name: string, q: ListQuery): Promise<Doc> => {
  const found = (await spec.list(api, q)).find((d) => d.metadata.name === name);
  if (!found) throw new CliError(`error: not_found: ${spec.names[0]} ${JSON.stringify(name)} does not exist`, 3);
  return found;
};

const workloads: KindSpec = {
  kind: "Workload",
  names: ["workload", "workloads", "wl"],
  tenanted: true,
  list: (api, q) => {
    const query = new URLSearchParams();
    if (q.selector) query.set("labelSelector", q.selector);
    const path = q.allTenants || !q.tenant ? "/workloads" : `/tenants/${enc(q.tenant)}/workloads`;
    return allPages(api, path, query);
  },
  get: async (api, name, tenant) =>
    (await api.get(tenant ? `/tenants/${enc(tenant)}/workloads/${enc(name)}` : `/workloads/${enc(name)}`)) as Doc,
  columns: [
    { header: "NAME", value: (d) => d.metadata.name },
    { header: "TENANT", value: (d) => d.metadata.tenant ?? "-" },
    { header: "TYPE", value: (d) => wl(d).spec.type },
    {
      header: "GPUS",
      value: (d) => {
        const { spec } = wl(d);
        return `${spec.replicas}×${spec.resources.gpu.count} ${spec.resources.gpu.models.join("|") || "any"}`;
      },
    },
    { header: "PHASE", value: (d) => wl(d).status.phase },
    { header: "PLACEMENT", value: placementsOf },
    { header: "GEN", value: (d) => wl(d).status.generation ?? "-", wide: true },
    { header: "PRIORITY", value: (d) => wl(d).spec.priority ?? "-", wide: true },
    { header: "POLICY", value: (d) => wl(d).status.policy ?? "-", wide: true },
    { header: "POOL", value: (d) => wl(d).status.pool ?? "-", wide: true },
    { header: "LABELS", value: labelsOf, wide: true },
    { header: "AGE", value: (d, now) => age(wl(d).status.createdAt, now) },
    { header: "MESSAGE", value: (d) => wl(d).status.message },
  ],
};

/** Description fields an operator registers (`spec` of a Cluster document); the rest of the view is status. */
const descriptionKeys = Object.keys(ClusterDescription.shape).filter((k) => k !== "name" && k !== "labels");

/** The hub's cluster view as a Kubernetes-shaped document (`kind: Cluster`). */
export const clusterDoc = (view: Record<string, unknown>): Doc => {
  const spec: Record<string, unknown> = {};
  const status: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(view)) {
    if (k === "name" || k === "labels") continue;
    if (descriptionKeys.includes(k)) spec[k] = v;
    else status[k] = v;
  }
  return {
    apiVersion: API_VERSION,
    kind: "Cluster",
    metadata: { name: String(view.name), labels: (view.labels as Record<string, string> | undefined) ?? {} },
    spec,
    status,
  };
};

interface ClusterStatus {
  health: string;
  state: string;
  gpus: { total: number; free: number; models: string[] };
  agent?: { driver: string | null; version: string | null };
  lastSeenAt: string | null;
}
const cs = (d: Doc) => d.status as ClusterStatus;
const cspec = (d: Doc) => d.spec as { tier: string; provider: string; region: string; zone?: string };

const clusters: KindSpec = {
  kind: "Cluster",
  names: ["cluster", "clusters", "cl"],
  tenanted: false,
  list: async (api, q) => {
    const query = new URLSearchParams();
    if (q.selector) query.set("labelSelector", q.selector);
    return (await allPages(api, "/clusters", query)).map((v) => clusterDoc(v as unknown as Record<string, unknown>));
  },
  get: async (api, name) => clusterDoc((await api.get(`/clusters/${enc(name)}`)) as Record<string, unknown>),
  columns: [
    { header: "NAME", value: (d) => d.metadata.name },
    { header: "TIER", value: (d) => cspec(d).tier },
    { header: "PROVIDER", value: (d) => cspec(d).provider || "-" },
    { header: "REGION", value: (d) => cspec(d).region || "-" },
    { header: "ZONE", value: (d) => cspec(d).zone || "-", wide: true },
    { header: "HEALTH", value: (d) => cs(d).health },
    { header: "STATE", value: (d) => cs(d).state, wide: true },
    { header: "GPUS FREE/TOTAL", value: (d) => `${cs(d).gpus.free}/${cs(d).gpus.total}` },
    { header: "MODELS", value: (d) => cs(d).gpus.models.join(",") || "-" },
    { header: "DRIVER", value: (d) => cs(d).agent?.driver ?? "-", wide: true },
    { header: "AGENT", value: (d) => cs(d).agent?.version ?? "-", wide: true },
    { header: "LABELS", value: labelsOf, wide: true },
    // Heartbeats are on the process clock, not the work clock the other ages use.
    { header: "LAST SEEN", value: (d) => age(cs(d).lastSeenAt, Date.now()) },
  ],
};

interface PolicySpec {
  tenants: string[];
  pools: { name: string; capacity: string }[];
  burst?: Record<string, number>;
  caps: Record<string, number>;
  drainBack: { enabled: boolean; afterSeconds: number };
}
const ps = (d: Doc) => d.spec as PolicySpec;
const pairs = (o: Record<string, number> | undefined) =>
  Object.entries(o ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(",") || "-";

const policies: KindSpec = {
  kind: "BurstPolicy",
  names: ["policy", "policies", "burstpolicy", "burstpolicies", "bp"],
  tenanted: false,
  list: async (api) => ((await api.get("/policies")) as { items: Doc[] }).items,
  get: async (api, name) => (await api.get(`/policies/${enc(name)}`)) as Doc,
  columns: [
    { header: "NAME", value: (d) => d.metadata.name },
    { header: "TENANTS", value: (d) => ps(d).tenants.join(",") || "*" },
    {
      header: "POOLS",
      value: (d) =>
        ps(d)
          .pools.map((x) => `${x.name}${x.capacity === "any" ? "" : `(${x.capacity})`}`)
          .join(" → "),
    },
    { header: "BURST", value: (d) => pairs(ps(d).burst) },
    { header: "CAPS", value: (d) => pairs(ps(d).caps) },
    {
      header: "DRAIN-BACK",
      value: (d) => (ps(d).drainBack.enabled ? `after ${ps(d).drainBack.afterSeconds}s` : "off"),
    },
  ],
};

interface BudgetDoc {
  spec: { perDay?: number; perMonth?: number; weight: number };
  status: { spentToday: number; spentThisMonth: number };
}
const bd = (d: Doc) => d as unknown as BudgetDoc;

const budgets: KindSpec = {
  kind: "Budget",
  names: ["budget", "budgets"],
  tenanted: false,
  list: async (api) => ((await api.get("/budgets")) as { items: Doc[] }).items,
  get: (api, name) => byName(budgets, api, name, {}),
  columns: [
    { header: "TENANT", value: (d) => d.metadata.name },
    { header: "TODAY", value: (d) => usd(bd(d).status.spentToday) },
    { header: "PER DAY", value: (d) => usd(bd(d).spec.perDay) },
    { header: "MONTH", value: (d) => usd(bd(d).status.spentThisMonth) },
    { header: "PER MONTH", value: (d) => usd(bd(d).spec.perMonth) },
    { header: "WEIGHT", value: (d) => bd(d).spec.weight },
  ],
};

/** The hub's dataset (a flat record) as a Kubernetes-shaped document (`kind: Dataset`), copies as its status. */
export const datasetDoc = (raw: Record<string, unknown>): Doc => {
  const { name, copies, ...spec } = raw;
  return { apiVersion: API_VERSION, kind: "Dataset", metadata: { name: String(name) }, spec, status: { copies } };
};

interface DatasetView {
  spec: { sizeGB: number; locations: string[]; shards?: number; source?: string };
  status: { copies?: DatasetCopyView[] };
}
const dd = (d: Doc) => d as unknown as DatasetView;

const datasets: KindSpec = {
  kind: "Dataset",
  names: ["dataset", "datasets", "ds"],
  tenanted: false,
  list: async (api) =>
    ((await api.get("/datasets")) as { items: Record<string, unknown>[] }).items.map((d) => datasetDoc(d)),
  get: (api, name) => byName(datasets, api, name, {}),
  columns: [
    { header: "NAME", value: (d) => d.metadata.name },
    { header: "SIZE GB", value: (d) => dd(d).spec.sizeGB },
    { header: "LOCATIONS", value: (d) => dd(d).spec.locations.join(",") || "-" },
    { header: "SHARDS", value: (d) => dd(d).spec.shards ?? "-", wide: true },
    { header: "SOURCE", value: (d) => dd(d).spec.source ?? "-", wide: true },
    {
      header: "COPIES",
      value: (d, now) => copiesText(dd(d).status.copies ?? [], now),
    },
  ],
};

/** Every kind the CLI reads, in the order `get` lists them in its help. */
export const kinds: readonly KindSpec[] = [workloads, clusters, policies, budgets, datasets];

/** The kind a user typed (`workload`, `wl`, `Workload`, `workloads`…), or a usage error naming the choices. */
export const kindFor = (typed: string, verb: string): KindSpec => {
  const t = typed.toLowerCase();
  const found = kinds.find((k) => k.names.includes(t) || k.kind.toLowerCase() === t);
  if (found) return found;
  throw new CliError(
    `${verb}: unknown kind ${JSON.stringify(typed)}; use one of ${kinds.map((k) => k.names[1]).join(", ")}`,
    ExitCode.usage,
  );
};

/** `kind/name`, as `-o name` prints it and as every verb names what it did. */
export const refOf = (spec: KindSpec, d: Doc): string => `${spec.names[0]}/${d.metadata.name}`;

/** The columns of a table, for `-o table` or `-o wide`. */
export const columnsFor = (spec: KindSpec, wide: boolean): readonly Column[] =>
  wide ? spec.columns : spec.columns.filter((c) => !c.wide);
