import type { Placement, PlacementPhase, PlacementStatus } from "@gantry/shared";
import { type ApplyState, listOwned } from "./apply.ts";
import type { KubeHttp } from "./http.ts";
import type { KindRegistry } from "./kinds.ts";
import { ANNOTATION_GENERATION, ownerKeyOf } from "./manifest.ts";
import type { DriverLogger } from "./options.ts";
import { KubeEvent, KubePod, KubeWorkloadObject, ListEnvelope } from "./schemas.ts";

const POD_KIND = { apiVersion: "v1", kind: "Pod", plural: "pods", namespaced: true } as const;
/** At most this many objects get their events looked up per placement: events explain, they are not a log. */
const MAX_EVENT_OBJECTS = 3;
const MAX_EVENTS_PER_OBJECT = 5;
const WAITING_PROBLEMS = new Set([
  "ImagePullBackOff",
  "ErrImagePull",
  "CrashLoopBackOff",
  "CreateContainerConfigError",
]);

const isTrue = (o: KubeWorkloadObject, ...types: string[]): boolean =>
  (o.status?.conditions ?? []).some((c) => types.includes(c.type) && c.status === "True");

const group = <T>(items: readonly T[], key: (t: T) => string | undefined): Map<string, T[]> => {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    const list = out.get(k) ?? [];
    list.push(item);
    out.set(k, list);
  }
  return out;
};

interface Verdict {
  phase: PlacementPhase;
  ready: number;
  message: string;
  /** Objects whose events explain the verdict. */
  explain: { namespace: string; name: string }[];
  startedAt?: string;
  finishedAt?: string;
}

/** Phase of one placement from its objects and pods: failure beats completion beats running. */
const judge = (objects: KubeWorkloadObject[], pods: KubePod[]): Verdict => {
  const ref = (o: { metadata: { namespace?: string; name: string } }) => ({
    namespace: o.metadata.namespace ?? "",
    name: o.metadata.name,
  });
  const jobLike = objects.filter((o) => o.kind.endsWith("Job") || o.kind === "JobSet");
  const failed = objects.filter((o) => isTrue(o, "Failed"));
  const startedAt = jobLike.map((o) => o.status?.startTime).find((t) => t !== undefined);
  const finishedAt = jobLike.map((o) => o.status?.completionTime).find((t) => t !== undefined);
  const ready = objects.reduce((n, o) => n + (o.status?.readyReplicas ?? o.status?.ready ?? 0), 0);
  const times = { ...(startedAt ? { startedAt } : {}), ...(finishedAt ? { finishedAt } : {}) };
  if (failed.length > 0) {
    const reason = failed
      .flatMap((o) => o.status?.conditions ?? [])
      .find((c) => c.type === "Failed" && c.status === "True");
    return {
      phase: "Failed",
      ready,
      message: `${failed[0]?.kind} ${failed[0]?.metadata.name} failed${reason?.reason ? ` (${reason.reason})` : ""}${reason?.message ? `: ${reason.message}` : ""}`,
      explain: failed.map(ref),
      ...times,
    };
  }
  if (
    jobLike.length > 0 &&
    jobLike.length === objects.length &&
    jobLike.every((o) => isTrue(o, "Complete", "Completed", "Succeeded"))
  ) {
    return { phase: "Succeeded", ready: 0, message: "completed", explain: [], ...times };
  }
  const unschedulable = pods.filter((p) =>
    (p.status.conditions ?? []).some(
      (c) => c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable",
    ),
  );
  if (unschedulable.length > 0) {
    const why = unschedulable[0]?.status.conditions?.find((c) => c.reason === "Unschedulable")?.message ?? "";
    return {
      phase: "Pending",
      ready,
      message: `${unschedulable.length} pod(s) Unschedulable${why ? `: ${why}` : ""}`,
      explain: unschedulable.map(ref),
      ...times,
    };
  }
  const stuck = pods.flatMap((p) =>
    (p.status.containerStatuses ?? [])
      .map((s) => s.state?.waiting)
      .filter((w) => w?.reason !== undefined && WAITING_PROBLEMS.has(w.reason))
      .map((w) => ({ pod: p, reason: w?.reason ?? "", message: w?.message ?? "" })),
  );
  const running =
    ready > 0 || pods.some((p) => p.status.phase === "Running") || jobLike.some((o) => (o.status?.active ?? 0) > 0);
  if (stuck[0]) {
    return {
      phase: running ? "Running" : "Pending",
      ready,
      message: `pod ${stuck[0].pod.metadata.name}: ${stuck[0].reason}${stuck[0].message ? `: ${stuck[0].message}` : ""}`,
      explain: stuck.map((s) => ref(s.pod)),
      ...times,
    };
  }
  if (objects.length === 0) return { phase: "Pending", ready: 0, message: "no objects yet", explain: [] };
  return { phase: running ? "Running" : "Pending", ready, message: "", explain: [], ...times };
};

/** The lowest generation any object carries: the cluster has fully caught up only with that one. */
const generationOf = (objects: KubeWorkloadObject[], placement: Placement): number => {
  const gens = objects
    .map((o) => Number(o.metadata.annotations?.[ANNOTATION_GENERATION]))
    .filter((n) => Number.isInteger(n) && n > 0);
  return gens.length > 0 ? Math.min(...gens) : placement.generation;
};

/**
 * Status of every placement Gantry owns here. Costs one list per installed workload kind, one pod
 * list, and event lookups only for placements that are failing or stuck.
 */
export const collectStatuses = async (
  http: KubeHttp,
  kinds: KindRegistry,
  state: ApplyState,
  pageSize: number,
  logger: DriverLogger,
): Promise<PlacementStatus[]> => {
  const objects: KubeWorkloadObject[] = [];
  for (const kind of await kinds.installedWorkloadKinds()) {
    for (const item of await listOwned(http, kind, pageSize)) {
      const parsed = KubeWorkloadObject.safeParse(item);
      if (parsed.success) objects.push(parsed.data);
    }
  }
  const pods: KubePod[] = [];
  for (const item of await listOwned(http, POD_KIND, pageSize)) {
    const parsed = KubePod.safeParse(item);
    if (parsed.success) pods.push(parsed.data);
  }
  const byWorkload = group(objects, (o) => ownerKeyOf(o.metadata.labels));
  const podsByWorkload = group(pods, (p) => ownerKeyOf(p.metadata.labels));

  const out: PlacementStatus[] = [];
  for (const [key, placement] of state.desired) {
    const failure = state.failures.get(key);
    const mine = byWorkload.get(key) ?? [];
    const identity = { uid: placement.uid, tenant: placement.tenant, workload: placement.workload };
    if (failure !== undefined) {
      out.push({
        ...identity,
        generation: placement.generation,
        phase: "Failed",
        replicas: placement.replicas,
        readyReplicas: 0,
        message: failure,
        events: [],
      });
      continue;
    }
    const verdict = judge(mine, podsByWorkload.get(key) ?? []);
    const events = [...(state.notes.get(key) ?? []), ...(await eventsFor(http, verdict.explain, logger))];
    // Held back (immutable fields): what runs is the old generation, and the message says why.
    const held = state.held.get(key);
    out.push({
      ...identity,
      generation: generationOf(mine, placement),
      phase: verdict.phase,
      replicas: placement.replicas,
      readyReplicas: verdict.ready,
      message: held ? [held, verdict.message].filter(Boolean).join("; ") : verdict.message,
      events,
      ...(verdict.startedAt ? { startedAt: verdict.startedAt } : {}),
      ...(verdict.finishedAt ? { finishedAt: verdict.finishedAt } : {}),
    });
  }
  for (const [key, gone] of state.deleted) {
    if (byWorkload.has(key)) continue;
    out.push({ ...gone, phase: "Deleted", replicas: 0, readyReplicas: 0, message: "", events: [] });
    // Said once is enough: the hub records it, and the workload is gone from this cluster.
    state.deleted.delete(key);
  }
  return out;
};

/** Recent events of a few objects, as `Reason: message` lines, newest last. */
const eventsFor = async (
  http: KubeHttp,
  refs: readonly { namespace: string; name: string }[],
  logger: DriverLogger,
): Promise<string[]> => {
  const out: string[] = [];
  for (const ref of refs.slice(0, MAX_EVENT_OBJECTS)) {
    try {
      const page = ListEnvelope.parse(
        await http.request("GET", `/api/v1/namespaces/${ref.namespace}/events`, {
          query: { fieldSelector: `involvedObject.name=${ref.name}`, limit: 50 },
        }),
      );
      const events = (page.items ?? [])
        .map((i) => KubeEvent.safeParse(i))
        .flatMap((r) => (r.success ? [r.data] : []))
        .sort((a, b) => (a.lastTimestamp ?? a.eventTime ?? "").localeCompare(b.lastTimestamp ?? b.eventTime ?? ""))
        .slice(-MAX_EVENTS_PER_OBJECT);
      for (const e of events)
        out.push(`${e.involvedObject.kind ?? ""} ${ref.name}: ${e.reason ?? ""}: ${e.message ?? ""}`.trim());
    } catch (e) {
      // Events explain; missing them must not hide the status itself.
      logger.debug({ object: ref.name, err: e instanceof Error ? e.message : String(e) }, "events unavailable");
    }
  }
  return out;
};
