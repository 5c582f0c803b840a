import type { KubeServingPod } from "./schemas.ts";

/** What the serving observer needs to know about one pod of a service. Pure reads of the Pod object. */

export const ANNOTATION_SCRAPE = "prometheus.io/scrape";
export const ANNOTATION_PORT = "prometheus.io/port";
export const ANNOTATION_PATH = "prometheus.io/path";
export const ANNOTATION_SCHEME = "prometheus.io/scheme";

const TERMINAL = new Set(["Succeeded", "Failed"]);

const time = (t: string | null | undefined): number | undefined => {
  if (!t) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
};

/** Counted as a replica: not finished and not being deleted. */
export const isLive = (p: KubeServingPod): boolean =>
  !TERMINAL.has(p.status.phase ?? "") && !p.metadata.deletionTimestamp;

const readyCondition = (p: KubeServingPod) =>
  (p.status.conditions ?? []).find((c) => c.type === "Ready" && c.status === "True");

/** Ready to serve: the kubelet's Ready condition, on a live pod. */
export const isReady = (p: KubeServingPod): boolean => isLive(p) && readyCondition(p) !== undefined;

/** When the pod started (`status.startTime`), in ms since the epoch. */
export const startedAt = (p: KubeServingPod): number | undefined => time(p.status.startTime);

/**
 * Seconds the most recently ready pod took from start to Ready: image pull, model download and load, warm-up.
 * Undefined while no pod is ready.
 */
export const modelLoadSeconds = (pods: readonly KubeServingPod[]): number | undefined => {
  let latest: { readyAt: number; seconds: number } | undefined;
  for (const p of pods) {
    if (!isReady(p)) continue;
    const start = startedAt(p);
    const readyAt = time(readyCondition(p)?.lastTransitionTime);
    if (start === undefined || readyAt === undefined || readyAt < start) continue;
    if (!latest || readyAt > latest.readyAt) latest = { readyAt, seconds: (readyAt - start) / 1000 };
  }
  return latest?.seconds;
};

export interface ScrapeDefaults {
  /** Used when the pod has no `prometheus.io/port` annotation. */
  port?: number | undefined;
  path: string;
}

export type ScrapeTarget =
  | { scrape: true; port: number; path: string; scheme: "http" | "https" }
  | { scrape: false; reason: string };

const validPort = (n: number): boolean => Number.isInteger(n) && n > 0 && n < 65_536;

/**
 * Where a pod's metrics are: the `prometheus.io/*` annotations (the convention Prometheus's Kubernetes
 * discovery relabelling uses), else the configured port, else a container port named `metrics`, else the
 * first container port (vLLM and TGI serve /metrics on their API port).
 */
export const scrapeTarget = (p: KubeServingPod, defaults: ScrapeDefaults): ScrapeTarget => {
  const a = p.metadata.annotations ?? {};
  if (a[ANNOTATION_SCRAPE] === "false") return { scrape: false, reason: `${ANNOTATION_SCRAPE} is "false"` };
  const ports = p.spec.containers.flatMap((c) => c.ports ?? []);
  let port: number | undefined;
  if (a[ANNOTATION_PORT] !== undefined) {
    port = Number(a[ANNOTATION_PORT]);
    if (!validPort(port)) return { scrape: false, reason: `${ANNOTATION_PORT} "${a[ANNOTATION_PORT]}" is not a port` };
  }
  port ??= defaults.port ?? ports.find((x) => x.name === "metrics")?.containerPort ?? ports[0]?.containerPort;
  if (port === undefined) {
    return { scrape: false, reason: `no ${ANNOTATION_PORT} annotation, no configured metrics port, no container port` };
  }
  const path = a[ANNOTATION_PATH] ?? defaults.path;
  return {
    scrape: true,
    port,
    path: path.startsWith("/") ? path : `/${path}`,
    scheme: a[ANNOTATION_SCHEME] === "https" ? "https" : "http",
  };
};
