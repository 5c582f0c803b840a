import type { AutoscalingStatus } from "@gantry/shared";
import { Command } from "commander";
import { stringify } from "yaml";
import { clientFor, type HubClient } from "../client.ts";
import { ExitCode } from "../exit-codes.ts";
import { type Doc, kindFor } from "../kinds.ts";
import { age, CliError, usd } from "../output.ts";
import {
  autoscalingLines,
  decisionLines,
  type EventView,
  type ExplainView,
  eventLines,
  explainLines,
  workloadPath,
} from "./workloads.ts";

type Out = (text: string) => void;

interface PlacementView {
  cluster: string;
  replicas: number;
  generation: number;
  active: boolean;
  spot: boolean;
  gpuModel: string | null;
  pricePerGpuHour: number | null;
  phase: string;
  readyReplicas: number;
  message: string;
}
interface WorkloadStatusView {
  phase: string;
  message: string;
  generation: number;
  createdAt: string;
  placedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  placements: PlacementView[];
  autoscaling?: unknown;
}

const when = (iso: string | null | undefined, now: number) => (iso ? `${iso} (${age(iso, now)} ago)` : "-");

/** `describe workload`: spec in brief, status, placements, the policy side and the decision once, then events. */
const describeWorkload = async (api: HubClient, cmd: Command, name: string): Promise<string> => {
  const [w, e, ev] = (await Promise.all([
    api.get(workloadPath(cmd, name)),
    api.get(workloadPath(cmd, name, "/explain")),
    api.get(workloadPath(cmd, name, "/events")),
  ])) as [Doc, ExplainView, { items: EventView[] }];
  const s = w.status as WorkloadStatusView;
  // Workload times are on the hub's work clock (simulated under `gantry up --seconds-per-hour`).
  const now = api.workNow();
  const spec = w.spec as { type: string; replicas: number; resources: { gpu: { count: number; models: string[] } } };
  const labels = Object.entries(w.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  return [
    `Name:        ${w.metadata.name}`,
    `Tenant:      ${w.metadata.tenant}`,
    `Labels:      ${labels.join(", ") || "<none>"}`,
    `Type:        ${spec.type}, ${spec.replicas} replica(s) × ${spec.resources.gpu.count} GPU (${spec.resources.gpu.models.join("|") || "any model"})`,
    `Phase:       ${s.phase}`,
    `Message:     ${s.message}`,
    `Generation:  ${s.generation}`,
    `Submitted:   ${when(s.createdAt, now)}`,
    `Placed:      ${when(s.placedAt, now)}`,
    `Started:     ${when(s.startedAt, now)}`,
    `Finished:    ${when(s.finishedAt, now)}`,
    "Placements:",
    ...(s.placements.length
      ? s.placements.map(
          (p) =>
            `  ${p.cluster}: ${p.replicas} replica(s)${p.spot ? " on spot" : ""}${p.gpuModel ? ` ${p.gpuModel}` : ""}${p.pricePerGpuHour !== null ? ` at ${usd(p.pricePerGpuHour)}/GPU-h` : ""}, ${p.phase} (${p.readyReplicas} ready), generation ${p.generation}${p.active ? "" : " [released]"}${p.message ? ` — ${p.message}` : ""}`,
        )
      : ["  <none>"]),
    ...autoscalingLines((s.autoscaling ?? undefined) as AutoscalingStatus | undefined),
    ...explainLines(e).map((l) => `${l.charAt(0).toUpperCase()}${l.slice(1)}`),
    ...(e.decision
      ? [
          "Decision:",
          ...decisionLines(e.decision)
            .flatMap((l) => l.split("\n"))
            .map((l) => (l ? `  ${l}` : l)),
        ]
      : ["Decision:    none yet"]),
    "Events:",
    eventLines(ev.items, now),
  ].join("\n");
};

interface AuditRow {
  at: string;
  subject: string;
  action: string;
  object: { kind: string; name: string | null } | null;
  outcome: string;
  detail?: Record<string, unknown> | null;
}

/** What the audit log says about an object (operators may read it; others see why not). */
const auditEvents = async (api: HubClient, kind: string, name: string, action: string): Promise<string> => {
  try {
    const page = (await api.get(`/audit?action=${encodeURIComponent(action)}&limit=200`)) as { items: AuditRow[] };
    const rows = page.items.filter((r) => r.object?.kind === kind && r.object.name === name).reverse();
    if (rows.length === 0) return "  <none>";
    return rows
      .map((r) => {
        const op = typeof r.detail?.operation === "string" ? ` ${r.detail.operation}` : "";
        return `  ${age(r.at)} ago   ${r.action}${op}   ${r.outcome}   by ${r.subject}`;
      })
      .join("\n");
  } catch (e) {
    if (e instanceof CliError && e.exitCode === ExitCode.forbidden)
      return "  (the audit log needs an operator's token)";
    throw e;
  }
};

interface ClusterStatusView {
  health: string;
  state: string;
  gpus: { total: number; free: number; models: string[] };
  agent: { id: string | null; driver: string | null; version: string | null };
  lastSeenAt: string | null;
  nodes?: {
    name: string;
    count: number;
    gpu?: { model: string; count: number };
    gpusUsed: number;
    ready: boolean;
    schedulable: boolean;
  }[];
}

/** `describe cluster`: description, health, capacity by node, pricing, registration history. */
const describeCluster = async (api: HubClient, name: string): Promise<string> => {
  const d = await kindFor("cluster", "describe").get(api, name, undefined);
  const spec = d.spec as {
    tier: string;
    provider: string;
    region: string;
    zone: string;
    taints: unknown[];
    pricing: { gpuHour: Record<string, number>; spotGpuHour: Record<string, number>; egressPerGB: number };
  };
  const s = d.status as ClusterStatusView;
  const prices = (m: Record<string, number>) =>
    Object.entries(m)
      .map(([k, v]) => `${k} ${usd(v)}/GPU-h`)
      .join(", ") || "-";
  return [
    `Name:        ${d.metadata.name}`,
    `Tier:        ${spec.tier}`,
    `Provider:    ${spec.provider || "-"}`,
    `Region:      ${spec.region || "-"}${spec.zone ? ` (${spec.zone})` : ""}`,
    `Labels:      ${
      Object.entries(d.metadata.labels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(", ") || "<none>"
    }`,
    `State:       ${s.state}`,
    `Health:      ${s.health}`,
    `Last seen:   ${when(s.lastSeenAt, Date.now())}`,
    `Agent:       ${s.agent.id ?? "-"} (${s.agent.driver ?? "no driver reported"}, ${s.agent.version ?? "no version"})`,
    `GPUs:        ${s.gpus.free} free of ${s.gpus.total} (${s.gpus.models.join(", ") || "none"})`,
    `Prices:      on demand ${prices(spec.pricing.gpuHour)}; spot ${prices(spec.pricing.spotGpuHour)}; egress ${usd(spec.pricing.egressPerGB)}/GB`,
    `Taints:      ${spec.taints.length ? stringify(spec.taints, { collectionStyle: "flow" }).trim() : "<none>"}`,
    "Nodes:",
    ...(s.nodes?.length
      ? s.nodes.map(
          (n) =>
            `  ${n.name}${n.count > 1 ? ` ×${n.count}` : ""}: ${n.gpu ? `${n.gpu.count - n.gpusUsed}/${n.gpu.count} ${n.gpu.model} GPUs free${n.count > 1 ? " each" : ""}` : "no GPUs"}${n.ready ? "" : ", not ready"}${n.schedulable ? "" : ", cordoned"}`,
        )
      : ["  <none reported>"]),
    "Events:",
    await auditEvents(api, "clusters", name, "clusters:write"),
  ].join("\n");
};

/** A pool's selector without its empty parts: `tiers: [onprem]`, not four keys of which three are empty. */
const selectorText = (selector: unknown): string => {
  if (typeof selector !== "object" || selector === null) return "";
  const parts = Object.entries(selector as Record<string, unknown>).filter(([, v]) =>
    Array.isArray(v) ? v.length > 0 : typeof v === "object" && v !== null ? Object.keys(v).length > 0 : v !== undefined,
  );
  return parts.length ? `: ${stringify(Object.fromEntries(parts), { collectionStyle: "flow" }).trim()}` : "";
};

/** `describe policy`: pools in order, triggers, caps, drain-back, who changed it. */
const describePolicy = async (api: HubClient, name: string): Promise<string> => {
  const d = await kindFor("policy", "describe").get(api, name, undefined);
  const spec = d.spec as {
    tenants: string[];
    pools: { name: string; capacity: string; selector?: unknown }[];
    burst?: Record<string, number>;
    caps: Record<string, number>;
    drainBack: { enabled: boolean; afterSeconds: number };
  };
  const pairs = (o: Record<string, number> | undefined) =>
    Object.entries(o ?? {})
      .map(([k, v]) => `${k} ${/Spend/i.test(k) ? usd(v) : v}`)
      .join(", ") || "<none>";
  return [
    `Name:        ${d.metadata.name}`,
    `Tenants:     ${spec.tenants.join(", ") || "every tenant"}`,
    "Pools (in order):",
    ...spec.pools.map(
      (p, i) =>
        `  ${i + 1}. ${p.name}${p.capacity === "any" ? "" : ` (${p.capacity} only)`}${selectorText(p.selector)}`,
    ),
    `Burst when:  ${pairs(spec.burst)}`,
    `Caps:        ${pairs(spec.caps)}`,
    `Drain-back:  ${spec.drainBack.enabled ? `after ${spec.drainBack.afterSeconds}s back in an earlier pool` : "off"}`,
    "Events:",
    await auditEvents(api, "policies", name, "policies:write"),
  ].join("\n");
};

/** `gantry describe workload|cluster|policy NAME`. */
export const describeCommand = (out: Out): Command =>
  new Command("describe")
    .description("everything about one workload, cluster or policy, with its events")
    .argument("<kind>", "workload | cluster | policy")
    .argument("<names...>")
    .action(async (kind: string, names: string[], _opts: unknown, cmd: Command) => {
      const spec = kindFor(kind, "describe");
      const api = clientFor(cmd);
      const one = async (name: string) => {
        if (spec.kind === "Workload") return describeWorkload(api, cmd, name);
        if (spec.kind === "Cluster") return describeCluster(api, name);
        if (spec.kind === "BurstPolicy") return describePolicy(api, name);
        throw new CliError(`describe: kind must be workload, cluster or policy (got ${JSON.stringify(kind)})`, 2);
      };
      const texts: string[] = [];
      for (const n of names) texts.push(await one(n));
      out(texts.join("\n\n"));
    });
