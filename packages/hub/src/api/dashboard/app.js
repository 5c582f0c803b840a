// The operator's console: fleet, queue, workloads (live over the watch API), spend, budgets, burst policies and a
// workload's explanation, with a banner while the hub cannot be reached. Vanilla modules, no build step.

import { adoptTokenFromFragment, createClient, createLink, forgetToken, storedToken, storeToken } from "./api.js";
import { h, put } from "./dom.js";
import { explainView } from "./explain.js";
import { clockTime, usd } from "./format.js";
import {
  auditView,
  budgetsView,
  fleetView,
  policiesView,
  queueView,
  spendHistoryView,
  spendView,
  workloadsView,
} from "./views.js";

const $ = (id) => document.getElementById(id);
/** Clusters, spend, budgets and policies have no watch: read them this often. Workloads stream. */
const POLL_MS = 3_000;
const MAX_BACKOFF_MS = 10_000;

const state = {
  clusters: [],
  workloads: new Map(),
  spentByWorkload: new Map(),
  spend: {},
  budgets: [],
  policies: [],
  selected: null,
  signedIn: false,
};

const link = createLink((down) => {
  const banner = $("banner");
  banner.hidden = down === null;
  if (down)
    banner.textContent = `Hub ${down.why === "unreachable" ? "unreachable" : down.why} since ${clockTime(down.since)} — retrying`;
});
const client = createClient({ link, onUnauthorized: (why) => showSignIn(why) });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const showSignIn = (why) => {
  state.signedIn = false;
  $("console").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = why && storedToken() ? `The hub refused the token: ${why}` : "";
  forgetToken();
};

const showConsole = () => {
  state.signedIn = true;
  $("sign-in").hidden = true;
  $("console").hidden = false;
  $("sign-out").hidden = false;
};

/** A pane whose request failed keeps its last content and says why (a 403 is the token's role, not an outage). */
const failed = (pane, error) => {
  if (error?.status === 403) put($(pane), h("p", { class: "muted" }, `not visible to this token: ${error.message}`));
};

const monthStart = () => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
};

const costs = (groupBy, from) =>
  client.get(`/costs?groupBy=${groupBy}${from ? `&from=${encodeURIComponent(from)}` : ""}`);

const renderWorkloads = () => {
  const now = Date.now();
  const workloads = [...state.workloads.values()].sort(
    (a, b) =>
      String(a.metadata?.tenant).localeCompare(String(b.metadata?.tenant)) ||
      String(a.metadata?.name).localeCompare(String(b.metadata?.name)),
  );
  put(
    $("workloads"),
    workloadsView(workloads, { spentByWorkload: state.spentByWorkload, selected: state.selected, onSelect: select }),
  );
  put($("queue"), queueView(workloads, now));
  renderSummary();
};

const renderSummary = () => {
  const free = state.clusters.reduce((n, c) => n + (Number(c.gpus?.free) || 0), 0);
  const total = state.clusters.reduce((n, c) => n + (Number(c.gpus?.total) || 0), 0);
  const phases = {};
  for (const w of state.workloads.values()) phases[w.status?.phase] = (phases[w.status?.phase] ?? 0) + 1;
  const today = state.spend.tenantToday?.total;
  $("summary").textContent = [
    `${state.clusters.length} clusters`,
    `${free}/${total} GPUs free`,
    `${state.workloads.size} workloads (${phases.Running ?? 0} running, ${phases.Pending ?? 0} pending)`,
    today !== undefined ? `${usd(today)} spent today` : null,
  ]
    .filter(Boolean)
    .join(" · ");
};

/** One round of the panes without a watch; each pane fails on its own. */
const poll = async () => {
  const month = monthStart();
  const [clusters, tenantToday, tenantMonth, clusterMonth, poolMonth, byWorkload, budgets, policies] =
    await Promise.allSettled([
      client.get("/clusters?limit=1000"),
      costs("tenant"),
      costs("tenant", month),
      costs("cluster", month),
      costs("pool", month),
      costs("workload", month),
      client.get("/budgets"),
      client.get("/policies"),
    ]);
  const now = Date.now();
  if (clusters.status === "fulfilled") {
    state.clusters = Array.isArray(clusters.value?.items) ? clusters.value.items : [];
    put($("fleet"), fleetView(state.clusters, now));
  } else failed("fleet", clusters.reason);
  if (tenantToday.status === "fulfilled") {
    state.spend = {
      tenantToday: tenantToday.value,
      tenantMonth: tenantMonth.value,
      clusterMonth: clusterMonth.value,
      poolMonth: poolMonth.value,
    };
    put($("spend"), spendView(state.spend));
  } else failed("spend", tenantToday.reason);
  if (byWorkload.status === "fulfilled") {
    state.spentByWorkload = new Map((byWorkload.value?.items ?? []).map((r) => [String(r.key), Number(r.total) || 0]));
  }
  if (budgets.status === "fulfilled") {
    state.budgets = budgets.value?.items ?? [];
    put($("budgets"), budgetsView(state.budgets));
  } else failed("budgets", budgets.reason);
  if (policies.status === "fulfilled") {
    state.policies = policies.value?.items ?? [];
    put($("policies"), policiesView(state.policies, state.clusters));
  } else failed("policies", policies.reason);
  renderWorkloads();
};

/** Now on the hub's work clock (simulated under `gantry up --seconds-per-hour`), which the ledger's days follow. */
const workNow = async () => {
  try {
    const health = await (await fetch("/healthz")).json();
    const at = Date.parse(health?.workClock?.now ?? "");
    return Number.isFinite(at) ? new Date(at) : new Date();
  } catch {
    return new Date();
  }
};

/** Seven UTC days of spend on the hub's work clock, oldest first: one report per day (read less often). */
const pollHistory = async () => {
  const today = await workNow();
  const midnight = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  const days = Array.from({ length: 7 }, (_, i) => {
    const from = new Date(midnight - (6 - i) * 86_400_000);
    return { from, to: new Date(from.getTime() + 86_400_000), day: from.toISOString().slice(0, 10) };
  });
  const reports = await Promise.all(
    days.map((d) =>
      client.get(
        `/costs?groupBy=tenant&from=${encodeURIComponent(d.from.toISOString())}&to=${encodeURIComponent(d.to.toISOString())}`,
      ),
    ),
  );
  put($("spend-history"), spendHistoryView(days.map((d, i) => ({ day: d.day, report: reports[i] }))));
};

const pollAudit = async () => {
  const audit = await client.get("/audit?limit=30");
  put($("audit"), auditView(audit?.items ?? []));
};

const pollForever = async () => {
  for (let round = 0; ; round++) {
    if (state.signedIn) {
      await poll().catch(() => undefined);
      // The history and the audit log change slowly: every fifth round.
      if (round % 5 === 0) {
        await pollHistory().catch((error) => failed("spend-history", error));
        await pollAudit().catch((error) => failed("audit", error));
      }
    }
    await sleep(POLL_MS);
  }
};

/** Workloads over the watch API, resumed from the last resource version after a break (with backoff). */
const followWorkloads = async () => {
  let resourceVersion;
  let backoff = 1_000;
  for (;;) {
    if (!state.signedIn) {
      await sleep(500);
      continue;
    }
    const from = resourceVersion;
    try {
      if (from === undefined) state.workloads.clear();
      await client.watch(`/workloads?watch=true${from !== undefined ? `&resourceVersion=${from}` : ""}`, (event) => {
        if (event.id !== undefined && /^\d+$/.test(event.id)) resourceVersion = event.id;
        if (!["ADDED", "MODIFIED", "DELETED"].includes(event.event)) return;
        const object = JSON.parse(event.data)?.object;
        const uid = object?.metadata?.uid;
        if (!uid) return;
        if (event.event === "DELETED") state.workloads.delete(uid);
        else state.workloads.set(uid, object);
        scheduleRender();
        backoff = 1_000;
      });
      backoff = 1_000;
    } catch (error) {
      // A refused resume (bad or expired version) starts over from a full listing; an outage retries the same spot.
      if (error?.status >= 400 && error.status < 500 && from !== undefined) resourceVersion = undefined;
      await sleep(backoff);
      backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    }
  }
};

let renderQueued = false;
const scheduleRender = () => {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    renderWorkloads();
    if (state.selected) void showExplanation(false);
  });
};

const workloadPath = ({ tenant, name }) =>
  `/tenants/${encodeURIComponent(tenant)}/workloads/${encodeURIComponent(name)}`;

let explaining = 0;
/** Show the selected workload's explanation and events (again after a change, without a flicker). */
const showExplanation = async (fresh) => {
  const selected = state.selected;
  if (!selected) return;
  const ticket = ++explaining;
  if (fresh) put($("explain"), h("p", { class: "muted" }, `explaining ${selected.name}…`));
  try {
    const [explain, events] = await Promise.all([
      client.get(`${workloadPath(selected)}/explain`),
      client.get(`${workloadPath(selected)}/events`).catch(() => ({ items: [] })),
    ]);
    if (ticket !== explaining) return;
    put($("explain"), explainView(explain, events?.items ?? []));
  } catch (error) {
    if (ticket !== explaining) return;
    // During an outage the banner says so: keep the explanation last shown rather than replace it with the error.
    if (!fresh && (error?.status === 0 || error?.status >= 500)) return;
    put($("explain"), h("p", { class: "error" }, `could not explain ${selected.name}: ${error.message}`));
  }
};

let explainTimer;
const select = (tenant, name) => {
  if (!tenant || !name) return;
  state.selected = { tenant, name };
  renderWorkloads();
  void showExplanation(true);
};

const submit = async (event) => {
  event.preventDefault();
  const manifest = $("manifest").value.trim();
  if (!manifest) return;
  const out = $("submit-result");
  try {
    const isJson = manifest.startsWith("{");
    const w = await client.send("POST", "/workloads", manifest, isJson ? "application/json" : "application/yaml");
    out.className = "";
    out.textContent = `${w.metadata?.tenant}/${w.metadata?.name} accepted: ${w.status?.phase}${w.warnings?.length ? `\nwarnings: ${w.warnings.join("; ")}` : ""}`;
    select(w.metadata?.tenant, w.metadata?.name);
  } catch (error) {
    out.className = "error";
    out.textContent = [
      `refused (${error.code}): ${error.message}`,
      ...(error.errors ?? []).map((e) => `  ${e.field}: ${e.message}`),
    ].join("\n");
  }
};

const start = async () => {
  adoptTokenFromFragment();
  $("sign-in").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("token").value.trim();
    if (!token) return;
    storeToken(token);
    $("token").value = "";
    void verify();
  });
  $("sign-out").addEventListener("click", () => {
    forgetToken();
    showSignIn();
  });
  $("submit").addEventListener("submit", (event) => void submit(event));
  // Explanations of running work change as it runs (events, spend): refresh the open one now and then.
  clearInterval(explainTimer);
  explainTimer = setInterval(() => state.signedIn && state.selected && void showExplanation(false), 5_000);
  void pollForever();
  void followWorkloads();
  if (storedToken()) await verify();
  else showSignIn();
};

/** Try the stored token once; on success show the console at once rather than at the next poll. */
const verify = async () => {
  try {
    await client.get("/clusters?limit=1&view=summary");
    showConsole();
    await poll();
    await Promise.all([pollHistory().catch(() => undefined), pollAudit().catch((error) => failed("audit", error))]);
  } catch (error) {
    if (error?.status === 401) return;
    // The hub is down or erring: the banner says so; show the console with what it has and keep trying.
    if (storedToken()) showConsole();
  }
};

void start();
