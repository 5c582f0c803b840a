// A workload's explanation, rendered from what the engine recorded with its decision: every cluster's verdict,
// reasons and rank value in dollars, term by term, and what the policy and budget said.

import { h, table } from "./dom.js";
import { clockTime, duration, usd, usdDelta } from "./format.js";
import { capacityKind, clusterReplicasText } from "./views.js";

const TERMS = [
  ["compute", "Compute"],
  ["egress", "Egress"],
  ["staging", "Staging"],
  ["spotRisk", "Spot risk"],
  ["headroom", "Headroom"],
  ["preference", "Preference"],
];
const termLabel = (term) => TERMS.find(([k]) => k === term)?.[1] ?? String(term).replaceAll("_", " ");
const num = (v) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
const text = (v) => (v === undefined || v === null ? "" : String(v));

const fact = (label, ...value) => [h("dt", null, label), h("dd", null, ...value)];

const budgetText = (b) => {
  const part = (spent, limit, period) =>
    typeof limit === "number" ? `${usd(spent)} of ${usd(limit)} ${period}` : `${usd(spent)} ${period} (no limit)`;
  return `${part(num(b.spentToday), b.perDay, "today")}; ${part(num(b.spentThisMonth), b.perMonth, "this month")}`;
};

const marginText = (m, selected) => {
  const cheaper = Object.entries(m.terms ?? {})
    .filter(([, v]) => num(v) !== 0)
    .sort((a, b) => num(a[1]) - num(b[1]))
    .map(([k, v]) => `${termLabel(k)} ${usdDelta(v)}`);
  const by =
    m.decidedBy === "best_fit" ? "best fit (a tie)" : m.decidedBy === "name" ? "name (a tie)" : termLabel(m.decidedBy);
  return `${selected ?? "The chosen cluster"} is ${usd(m.usd)} cheaper than ${text(m.runnerUp)}, decided by ${by}${cheaper.length ? `: ${cheaper.join(", ")}` : ""}.`;
};

const verdictColumns = [
  { title: "Cluster", cell: (c) => text(c.cluster) },
  {
    title: "Verdict",
    cell: (c) => text(c.verdict),
    class: (c) => (c.verdict === "selected" ? "selected-verdict" : text(c.verdict)),
  },
  {
    title: "Runs on",
    cell: (c) =>
      c.gpuModel
        ? `${c.gpuModel}${c.spot ? " spot" : ""} at ${usd(c.pricePerGpuHour)}/GPU-h${c.fitReplicas !== undefined ? `, fits ${c.fitReplicas}` : ""}`
        : "–",
  },
  { title: "Expected cost", cell: (c) => (c.rankCost ? usd(c.rankCost.total) : "–"), num: true },
  ...TERMS.map(([key, title]) => ({ title, cell: (c) => (c.rankCost ? usd(c.rankCost[key]) : "–"), num: true })),
  { title: "Billed estimate", cell: (c) => (c.estimatedCost ? usd(c.estimatedCost.total) : "–"), num: true },
  {
    title: "Reasons",
    cell: (c) =>
      (Array.isArray(c.reasons) ? c.reasons : []).map((r) =>
        h("div", null, h("span", { class: "muted" }, `[${text(r.code)}] `), text(r.message)),
      ),
  },
];

/** The newest scaling decisions the pane lists (the status keeps up to a hundred). */
const DECISIONS_SHOWN = 10;

const round = (v) => String(Math.round(num(v) * 100) / 100);
const perRegion = (record, show) =>
  Object.entries(record && typeof record === "object" ? record : {})
    .map(([region, v]) => `${region} ${show(v)}`)
    .join(", ");
const p95Text = (ms) => (num(ms) < 0 ? "unbounded (no replica within reach)" : `${Math.round(num(ms))} ms`);

/** A service's `status.autoscaling`: what the last pass saw and decided, replicas per cluster, and why it scaled. */
export const autoscalingView = (a) => {
  const clusters = Array.isArray(a.clusters) ? a.clusters : [];
  const decisions = (Array.isArray(a.decisions) ? a.decisions : []).slice(0, DECISIONS_SHOWN);
  const demand = perRegion(a.demand, (v) => `${round(v)} req/s`);
  const p95 = perRegion(a.predictedP95Ms, p95Text);
  return h(
    "div",
    { "data-autoscaling-status": "" },
    h("h3", null, "Autoscaling"),
    h(
      "dl",
      { class: "facts" },
      fact("Mode", h("b", { class: `mode ${text(a.mode)}` }, text(a.mode)), a.reason ? ` — ${text(a.reason)}` : ""),
      fact("Metric", `${text(a.metric)} ${round(a.metricValue)} against a target of ${round(a.target)}`),
      fact("Replicas", `${num(a.readyReplicas)} ready of ${num(a.desiredReplicas)} desired`),
      fact("Traffic", `${round(a.requestsPerSecond)} req/s${demand ? ` (${demand})` : ""}`),
      p95 ? fact("Expected p95", p95) : null,
      fact("Cost", `${usd(a.costPerHour)}/h`),
      a.updatedAt ? fact("Updated", clockTime(new Date(a.updatedAt))) : null,
    ),
    table(
      [
        { title: "Cluster", cell: (c) => text(c.cluster) },
        { title: "Kind", cell: (c) => capacityKind(c.kind) },
        { title: "Desired", cell: (c) => String(num(c.desired)), num: true },
        { title: "Current", cell: (c) => String(num(c.current)), num: true },
        { title: "Ready", cell: (c) => String(num(c.ready)), num: true },
        { title: "Per replica-hour", cell: (c) => usd(c.pricePerReplicaHour), num: true },
      ],
      clusters,
      { empty: "no replicas in any cluster", rowAttrs: (c) => ({ "data-scaling-cluster": text(c.cluster) }) },
    ),
    clusters.length ? h("p", { class: "muted" }, `ready/desired: ${clusterReplicasText(a)}`) : null,
    h("h3", null, "Scaling decisions, newest first"),
    table(
      [
        { title: "When", cell: (d) => (d.at ? clockTime(new Date(d.at)) : "–") },
        { title: "Cluster", cell: (d) => `${text(d.cluster)} (${capacityKind(d.kind)})` },
        { title: "Change", cell: (d) => `${num(d.from)} → ${num(d.to)}`, num: true },
        { title: "Why", cell: (d) => text(d.explanation) },
      ],
      decisions,
      { empty: "no scaling decisions yet", rowAttrs: (d) => ({ "data-scaling-decision": text(d.cluster) }) },
    ),
  );
};

const order = { selected: 0, feasible: 1, filtered: 2 };

/** A large fleet's stored decision keeps some verdicts (store/stored-decision.ts): say what the rest were. */
export const omittedText = (o) =>
  `… and ${num(o.clusters)} more clusters not kept in the stored decision: ${[
    `${num(o.feasible)} feasible but dearer than those shown`,
    ...(Array.isArray(o.filtered) ? o.filtered : []).map(
      (f) => `${num(f.count)} filtered (${text(f.code)}: e.g. ${text(f.example)})`,
    ),
  ].join("; ")}`;

/** The explanation pane for `explain` (GET …/explain) and the workload's `events`. */
export const explainView = (explain, events) => {
  const d = explain?.decision ?? null;
  const selected = d?.clusters?.find((c) => c.verdict === "selected")?.cluster;
  const facts = [
    fact(
      "Phase",
      h("span", { class: text(explain.phase) }, text(explain.phase)),
      explain.message ? ` — ${explain.message}` : "",
    ),
  ];
  if (d) {
    facts.push(fact("Decision", text(d.summary)));
    const e = d.estimatedCost ?? {};
    facts.push(
      fact(
        "Estimated cost",
        `${usd(e.total)} for the run, ${usd(e.perHour)}/h (compute ${usd(e.compute)}, egress ${usd(e.egress)})`,
      ),
    );
    if (d.margin) facts.push(fact("Why here", marginText(d.margin, selected)));
    else if (d.runnerUp) facts.push(fact("Runner-up", text(d.runnerUp)));
  } else {
    facts.push(fact("Decision", "none yet: the scheduler has not decided this workload"));
  }
  if (explain.policy) facts.push(fact("Policy", `${explain.policy}${explain.pool ? `, pool ${explain.pool}` : ""}`));
  if (explain.burst) facts.push(fact("Burst", text(explain.burst)));
  if (typeof explain.waitedSeconds === "number") facts.push(fact("Waiting for", duration(explain.waitedSeconds)));
  if (explain.budget) facts.push(fact("Budget", `${text(explain.budget.tenant)}: ${budgetText(explain.budget)}`));

  const clusters = Array.isArray(d?.clusters)
    ? [...d.clusters].sort(
        (a, b) => (order[a.verdict] ?? 3) - (order[b.verdict] ?? 3) || num(a.rankCost?.total) - num(b.rankCost?.total),
      )
    : [];
  return h(
    "div",
    { "data-explained": `${text(explain.tenant)}/${text(explain.workload)}` },
    h("h3", null, `${text(explain.workload)} (${text(explain.tenant)})`),
    h("dl", { class: "facts" }, facts),
    clusters.length ? h("h3", null, "Every cluster, in dollars") : null,
    clusters.length
      ? table(verdictColumns, clusters, { rowAttrs: (c) => ({ "data-cluster": text(c.cluster) }) })
      : null,
    d?.omitted ? h("p", { class: "omitted" }, omittedText(d.omitted)) : null,
    explain.autoscaling && typeof explain.autoscaling === "object" ? autoscalingView(explain.autoscaling) : null,
    h("h3", null, "Events"),
    table(
      [
        { title: "When", cell: (e) => (e.at ? clockTime(new Date(e.at)) : "–") },
        { title: "Type", cell: (e) => text(e.type) },
        { title: "Reason", cell: (e) => text(e.reason) },
        { title: "Cluster", cell: (e) => text(e.cluster) || "–" },
        { title: "Message", cell: (e) => text(e.message) },
      ],
      Array.isArray(events) ? events : [],
      { empty: "no events recorded" },
    ),
  );
};
