// The console's panes as pure functions of API data → DOM. Every field is read defensively: views grow fields
// (a service's scaling, new phases) and older hubs lack some.

import { bar, h, table } from "./dom.js";
import { age, duration, percent, usd } from "./format.js";

const num = (v, fallback = 0) => (typeof v === "number" && Number.isFinite(v) ? v : fallback);
const text = (v) => (v === undefined || v === null ? "" : String(v));

/** GPUs per model (and memory size) on a cluster's nodes: total, and free on ready schedulable nodes. */
export const gpusByModel = (cluster) => {
  const models = new Map();
  for (const node of Array.isArray(cluster?.nodes) ? cluster.nodes : []) {
    const gpu = node?.gpu;
    if (!gpu?.model) continue;
    const key = gpu.memoryGiB ? `${gpu.model} ${gpu.memoryGiB} GiB` : gpu.model;
    const entry = models.get(key) ?? { model: key, total: 0, free: 0 };
    const count = num(node.count, 1);
    entry.total += num(gpu.count) * count;
    if (node.ready !== false && node.schedulable !== false) {
      entry.free += Math.max(0, num(gpu.count) - num(node.gpusUsed)) * count;
    }
    models.set(key, entry);
  }
  return [...models.values()].sort((a, b) => a.model.localeCompare(b.model));
};

/** GPUs a workload asks for: per replica × replicas. */
export const requestedGpus = (w) => num(w?.spec?.resources?.gpu?.count) * num(w?.spec?.replicas, 1);

const activePlacements = (w) =>
  (Array.isArray(w?.status?.placements) ? w.status.placements : []).filter((p) => p && p.active !== false);

/** What a workload's active placements cost per hour at the prices they were placed at. */
export const hourlyRate = (w) => {
  const perReplica = num(w?.spec?.resources?.gpu?.count);
  return activePlacements(w).reduce((sum, p) => sum + num(p.replicas) * perReplica * num(p.pricePerGpuHour), 0);
};

const placementText = (w) =>
  activePlacements(w)
    .map((p) => `${text(p.cluster)}×${num(p.replicas)}${p.spot ? " spot" : ""}`)
    .join(", ") || "–";

const KIND = { owned: "owned", onDemand: "on-demand", spot: "spot" };
/** How a replica is paid for, in words. */
export const capacityKind = (kind) => KIND[kind] ?? text(kind);

/** A service's replicas per cluster, ready of desired: "edge-paris 3/3, gcp-europe-west4 12/10". */
export const clusterReplicasText = (autoscaling) =>
  (Array.isArray(autoscaling?.clusters) ? autoscaling.clusters : [])
    .filter((c) => c && typeof c === "object")
    .map((c) => `${text(c.cluster)} ${num(c.ready)}/${num(c.desired)}`)
    .join(", ");

/** A service's scaling at a glance: ready of desired replicas and the autoscaler's mode. */
export const scalingText = (autoscaling) =>
  `${num(autoscaling?.readyReplicas)}/${num(autoscaling?.desiredReplicas)} ready, ${text(autoscaling?.mode) || "–"}`;

const scalingCell = (w) => {
  const a = w?.status?.autoscaling;
  if (!a) return "–";
  return h(
    "div",
    { "data-autoscaling": text(w.metadata?.name) },
    h("div", { class: `mode ${text(a.mode)}` }, scalingText(a)),
    h("div", { class: "muted", "data-cluster-replicas": "" }, clusterReplicasText(a) || "no replicas"),
  );
};

/** The fleet: each cluster's health, last heartbeat and GPUs by model. */
export const fleetView = (clusters, now) =>
  table(
    [
      { title: "Cluster", cell: (c) => [text(c.name), c.state && c.state !== "registered" ? ` (${c.state})` : ""] },
      { title: "Tier", cell: (c) => text(c.tier) },
      { title: "Region", cell: (c) => text(c.region) },
      { title: "Health", cell: (c) => text(c.health), class: (c) => text(c.health) },
      { title: "Heartbeat", cell: (c) => (c.lastSeenAt ? `${age(c.lastSeenAt, now)} ago` : "never") },
      {
        title: "GPUs free / total by model",
        cell: (c) => {
          const models = gpusByModel(c);
          if (models.length === 0) return h("span", { class: "muted" }, "no GPUs reported");
          return h(
            "div",
            { class: "models" },
            models.map((m) =>
              h(
                "div",
                { "data-model": m.model },
                bar(m.total ? (m.total - m.free) / m.total : 0),
                `${m.model}: ${m.free} free / ${m.total}`,
              ),
            ),
          );
        },
      },
    ],
    clusters,
    { empty: "no clusters registered", rowAttrs: (c) => ({ "data-cluster": text(c.name) }) },
  );

/** The queue: pending workloads, oldest first, with what they wait for and why. */
export const queueView = (workloads, now) => {
  const pending = workloads
    .filter((w) => w?.status?.phase === "Pending")
    .sort((a, b) => text(a.status?.createdAt).localeCompare(text(b.status?.createdAt)));
  return table(
    [
      { title: "Workload", cell: (w) => text(w.metadata?.name) },
      { title: "Tenant", cell: (w) => text(w.metadata?.tenant) },
      { title: "GPUs", cell: (w) => String(requestedGpus(w)), num: true },
      { title: "Priority", cell: (w) => String(num(w.spec?.priority)), num: true },
      { title: "Waiting", cell: (w) => age(w.status?.createdAt, now) },
      {
        title: "Policy / pool",
        cell: (w) => [w.status?.policy ?? "–", w.status?.pool ? ` / ${w.status.pool}` : ""].join(""),
      },
      { title: "Why it waits", cell: (w) => text(w.status?.message) || "not decided yet" },
    ],
    pending,
    { empty: "nothing waits", rowAttrs: (w) => ({ "data-workload": text(w.metadata?.name) }) },
  );
};

/** Workloads with phase, placement and cost; a click on a name opens its explanation. */
export const workloadsView = (workloads, { spentByWorkload, selected, onSelect }) =>
  table(
    [
      {
        title: "Name",
        cell: (w) =>
          h(
            "button",
            {
              type: "button",
              class: "link",
              "data-explain": text(w.metadata?.name),
              onclick: () => onSelect(w.metadata?.tenant, w.metadata?.name),
            },
            text(w.metadata?.name),
          ),
      },
      { title: "Tenant", cell: (w) => text(w.metadata?.tenant) },
      { title: "Type", cell: (w) => text(w.spec?.type) },
      { title: "Phase", cell: (w) => text(w.status?.phase), class: (w) => text(w.status?.phase) },
      { title: "GPUs", cell: (w) => String(requestedGpus(w)), num: true },
      { title: "Placement", cell: placementText },
      { title: "Scaling (ready/desired)", cell: scalingCell },
      { title: "Rate", cell: (w) => (activePlacements(w).length ? `${usd(hourlyRate(w))}/h` : "–"), num: true },
      { title: "Spent this month", cell: (w) => usd(spentByWorkload.get(text(w.metadata?.name)) ?? 0), num: true },
      { title: "Message", cell: (w) => text(w.status?.message) },
    ],
    workloads,
    {
      empty: "no workloads yet",
      rowAttrs: (w) => ({
        "data-workload": text(w.metadata?.name),
        class:
          selected && selected.name === w.metadata?.name && selected.tenant === w.metadata?.tenant
            ? "selected"
            : undefined,
      }),
    },
  );

const spendTable = (title, report, key) => {
  const items = Array.isArray(report?.items) ? [...report.items].sort((a, b) => num(b.total) - num(a.total)) : [];
  const top = Math.max(...items.map((r) => num(r.total)), 0);
  return [
    h("h3", null, `${title} — ${usd(num(report?.total))}`),
    table(
      [
        { title: key, cell: (r) => text(r.key) },
        { title: "", cell: (r) => bar(top ? num(r.total) / top : 0) },
        { title: "Compute", cell: (r) => usd(r.compute), num: true },
        { title: "Egress", cell: (r) => usd(r.egress), num: true },
        { title: "Total", cell: (r) => usd(r.total), num: true },
      ],
      items,
      { empty: "no spend recorded", rowAttrs: (r) => ({ "data-key": text(r.key) }) },
    ),
  ];
};

/** Spend by tenant and by cluster, today and this month (UTC), from the cost ledger. */
export const spendView = (spend) =>
  h(
    "div",
    null,
    spendTable("By tenant, today", spend.tenantToday, "Tenant"),
    spendTable("By tenant, this month", spend.tenantMonth, "Tenant"),
    spendTable("By cluster, this month", spend.clusterMonth, "Cluster"),
    spendTable("By pool, this month", spend.poolMonth, "Pool"),
  );

const against = (spent, limit) =>
  typeof limit === "number"
    ? [
        bar(limit > 0 ? spent / limit : 1, { limit: true }),
        `${usd(spent)} of ${usd(limit)} (${percent(limit > 0 ? spent / limit : 1)})`,
      ]
    : [`${usd(spent)}`, h("span", { class: "muted" }, " no limit")];

/** Budgets: each tenant's spend against its daily and monthly limit, and its fair-share weight. */
export const budgetsView = (budgets) =>
  table(
    [
      { title: "Tenant", cell: (b) => text(b.metadata?.name) },
      { title: "Today", cell: (b) => against(num(b.status?.spentToday), b.spec?.perDay) },
      { title: "This month", cell: (b) => against(num(b.status?.spentThisMonth), b.spec?.perMonth) },
      { title: "Weight", cell: (b) => String(num(b.spec?.weight, 1)), num: true },
    ],
    budgets,
    { empty: "no budgets set", rowAttrs: (b) => ({ "data-tenant": text(b.metadata?.name) }) },
  );

const selectorText = (s) => {
  const parts = [];
  if (s?.tiers?.length) parts.push(`tier ${s.tiers.join("|")}`);
  if (s?.regions?.length) parts.push(`region ${s.regions.join("|")}`);
  if (s?.names?.length) parts.push(`name ${s.names.join("|")}`);
  for (const [k, v] of Object.entries(s?.labels ?? {})) parts.push(`${k}=${v}`);
  return parts.join(", ") || "every cluster";
};

const triggersText = (t) => {
  if (!t) return "never bursts (one pool)";
  const parts = [];
  if (t.afterWaitSeconds !== undefined) parts.push(`after waiting ${duration(t.afterWaitSeconds)}`);
  if (t.whenUtilisationAbove !== undefined)
    parts.push(`when the first pool is ${percent(t.whenUtilisationAbove)} used`);
  if (t.whenQueuedGpusAbove !== undefined) parts.push(`when more than ${t.whenQueuedGpusAbove} GPUs are queued`);
  return parts.join(" or ");
};

const capsText = (c) => {
  const parts = [];
  if (c?.maxBurstGpus !== undefined) parts.push(`${c.maxBurstGpus} GPUs`);
  if (c?.maxBurstSpendPerHour !== undefined) parts.push(`${usd(c.maxBurstSpendPerHour)}/h`);
  if (c?.maxBurstSpendPerDay !== undefined) parts.push(`${usd(c.maxBurstSpendPerDay)}/day`);
  return parts.join(", ") || "none";
};

/** Burst policies: pools in the order work moves down them, the triggers, caps and drain-back. */
export const policiesView = (policies, clusters) =>
  policies.length === 0
    ? h("p", { class: "muted" }, "no burst policies: every workload may use the whole fleet")
    : policies.map((p) => {
        const spec = p?.spec ?? {};
        const pools = Array.isArray(spec.pools) ? spec.pools : [];
        return h(
          "div",
          { "data-policy": text(p.metadata?.name) },
          h("h3", null, text(p.metadata?.name)),
          h(
            "dl",
            { class: "facts" },
            h("dt", null, "Tenants"),
            h("dd", null, spec.tenants?.length ? spec.tenants.join(", ") : "all"),
            h("dt", null, "Pools"),
            h(
              "dd",
              { class: "pools" },
              pools.map((pool, i) => [
                i > 0 ? h("span", { class: "muted" }, "→") : null,
                h(
                  "span",
                  { class: "pool", "data-pool": text(pool.name) },
                  h("b", null, text(pool.name)),
                  ` ${selectorText(pool.selector)}${pool.capacity && pool.capacity !== "any" ? `, ${pool.capacity} only` : ""}`,
                  h(
                    "span",
                    { class: "muted" },
                    ` (${poolMembers(pool.selector, clusters).join(", ") || "no cluster matches"})`,
                  ),
                ),
              ]),
            ),
            h("dt", null, "Bursts"),
            h("dd", null, triggersText(spec.burst)),
            h("dt", null, "Caps"),
            h("dd", null, capsText(spec.caps)),
            h("dt", null, "Drain-back"),
            h(
              "dd",
              null,
              spec.drainBack?.enabled === false
                ? "off"
                : `after the first pool has had room for ${duration(num(spec.drainBack?.afterSeconds, 300))}${spec.drainBack?.restartableJobs === false ? "" : "; restartable jobs restart there"}`,
            ),
          ),
        );
      });

/** A glob as the hub's selectors use it (`*` any run, `?` one character). */
const globMatches = (glob, value) => {
  const pattern = String(glob)
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replaceAll("*", ".*")
    .replaceAll("?", ".");
  return new RegExp(`^${pattern}$`).test(String(value ?? ""));
};

/** Which clusters a pool's selector names (for display; the hub's own matcher decides placement). */
export const poolMembers = (selector, clusters) =>
  clusters
    .filter((c) => {
      if (selector?.tiers?.length && !selector.tiers.includes(c.tier)) return false;
      if (selector?.regions?.length && !selector.regions.some((g) => globMatches(g, c.region))) return false;
      if (selector?.names?.length && !selector.names.some((g) => globMatches(g, c.name))) return false;
      for (const [k, v] of Object.entries(selector?.labels ?? {})) if (c.labels?.[k] !== v) return false;
      return true;
    })
    .map((c) => text(c.name));

/** The audit log's newest rows: who did what to which object, and whether it was allowed. */
export const auditView = (items) =>
  table(
    [
      { title: "When", cell: (a) => (a.at ? new Date(a.at).toLocaleString() : "–") },
      { title: "Who", cell: (a) => [text(a.subject), a.role ? h("span", { class: "muted" }, ` (${a.role})`) : null] },
      { title: "Action", cell: (a) => text(a.action) },
      {
        title: "Object",
        cell: (a) =>
          a.object
            ? `${text(a.object.kind)}/${a.object.tenant ? `${a.object.tenant}/` : ""}${text(a.object.name)}`
            : "–",
      },
      {
        title: "Outcome",
        cell: (a) => `${text(a.outcome)} ${num(a.status) || ""}`.trim(),
        class: (a) => (a.outcome === "success" ? "Running" : "Failed"),
      },
    ],
    Array.isArray(items) ? items : [],
    { empty: "nothing audited yet" },
  );

/**
 * Spend per day as columns (one per UTC day, oldest first), each split by tenant in its tooltip and its label giving
 * the day's total. `days` is `[{ day: "2026-12-01", report }]`, a report being what GET /costs returns.
 */
export const spendHistoryView = (days) => {
  const totals = days.map((d) => num(d.report?.total));
  const top = Math.max(...totals, 0);
  return h(
    "div",
    { class: "history", role: "img", "aria-label": "spend per day" },
    days.map((d, i) => {
      const column = h("span", { class: "column" });
      column.style.height = `${top && totals[i] > 0 ? Math.max(2, (totals[i] / top) * 100) : 0}%`;
      const split = (d.report?.items ?? []).map((r) => `${text(r.key)} ${usd(r.total)}`).join(", ");
      return h(
        "div",
        { class: "day", "data-day": d.day, title: split || "no spend" },
        h("span", { class: "amount" }, usd(totals[i])),
        h("span", { class: "track" }, column),
        h("span", { class: "muted" }, d.day.slice(5)),
      );
    }),
  );
};
