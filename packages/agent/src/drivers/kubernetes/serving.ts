import { type Placement, placementKey, type ServingSignal } from "@gantry/shared";
import { listOwned } from "./apply.ts";
import { type Reading, readEngine } from "./engines.ts";
import type { KubeHttp } from "./http.ts";
import { ownerKeyOf } from "./manifest.ts";
import type { DriverLogger } from "./options.ts";
import { parseExposition } from "./prometheus-text.ts";
import {
  DEFAULT_QUERIES,
  expandQuery,
  instantQuery,
  SERVING_QUERY_METRICS,
  type ServingQueryMetric,
} from "./promql.ts";
import { KubeServingPod } from "./schemas.ts";
import { directFetcher, type FetchLike, type MetricsFetcher, proxyFetcher } from "./scrape.ts";
import { isLive, isReady, modelLoadSeconds, scrapeTarget, startedAt } from "./serving-pods.ts";
import { type PodWindow, type WindowFigures, windowFigures } from "./serving-window.ts";

/** How the observer gets load figures: scraping each pod, or asking the cluster's Prometheus. */
export interface ServingConfig {
  metrics: {
    /** Port when a pod has no `prometheus.io/port` annotation (else its `metrics` or first container port). */
    port?: number | undefined;
    path: string;
    /** `proxy`: through the API server's pod proxy; `direct`: to the pod IP (the agent must be in the pod network). */
    via: "proxy" | "direct";
    timeoutMs: number;
    /** Pods scraped at once. */
    concurrency: number;
    maxBytes: number;
  };
  /** Set: load figures come from PromQL queries, pods are not scraped. */
  prometheus?:
    | {
        url: string;
        windowSeconds: number;
        queries: Partial<Record<ServingQueryMetric, string>>;
      }
    | undefined;
}

export const DEFAULT_SERVING: ServingConfig = {
  metrics: { path: "/metrics", via: "proxy", timeoutMs: 2_000, concurrency: 8, maxBytes: 4 * 1024 * 1024 },
};

export interface ServingObserverOptions {
  http: KubeHttp;
  fetch: FetchLike;
  logger: DriverLogger;
  now: () => number;
  pageSize: number;
  config: ServingConfig;
  namespaceFor: (tenant: string) => string;
  /** The placements this cluster runs, and the generation last applied whole for each. */
  desired: () => Iterable<Placement>;
  appliedGeneration: (workload: string) => number | undefined;
}

const POD_KIND = { apiVersion: "v1", kind: "Pod", plural: "pods", namespaced: true } as const;

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Run `f` over `items`, at most `limit` at a time. */
const pool = async <T, R>(items: readonly T[], limit: number, f: (t: T) => Promise<R>): Promise<R[]> => {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      const item = items[i];
      if (item !== undefined) out[i] = await f(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
};

/**
 * Per Gantry service in the cluster: load, latency and readiness over the window since the previous call.
 *
 * Scraping: each call scrapes every running pod of every service once; a pod's counters and latency histogram
 * are compared with its reading from the previous call (the window is the time between the two), gauges are
 * taken as they are now. A service's first call only sets the baseline, so it is reported from the second call on.
 * With Prometheus: every call runs one query per figure over the configured window.
 * Readiness (replicas, ready replicas) and model-load time come from the Pod objects either way.
 */
export class ServingObserver {
  private readonly fetcher: MetricsFetcher;
  /** Pod uid → its reading at the end of the previous window. */
  private baselines = new Map<string, Reading>();
  /** Workload → when its previous window ended. */
  private windowStart = new Map<string, number>();

  constructor(private readonly o: ServingObserverOptions) {
    const m = o.config.metrics;
    this.fetcher = m.via === "direct" ? directFetcher(o.fetch, m.maxBytes) : proxyFetcher(o.http, m.maxBytes);
  }

  async signals(): Promise<ServingSignal[]> {
    const services = [...this.o.desired()].filter((p) => p.spec.type === "service");
    if (services.length === 0) {
      this.baselines.clear();
      this.windowStart.clear();
      return [];
    }
    const byWorkload = await this.podsByWorkload();
    const now = this.o.now();
    const prometheus = this.o.config.prometheus;
    const out: ServingSignal[] = [];
    const readings = prometheus ? new Map<string, Reading>() : await this.scrapeAll(services, byWorkload);
    for (const placement of services) {
      const pods = byWorkload.get(placementKey(placement)) ?? [];
      const live = pods.filter(isLive);
      let figures: WindowFigures;
      let windowSeconds: number;
      if (prometheus) {
        windowSeconds = prometheus.windowSeconds;
        figures = await this.query(placement, live, windowSeconds);
      } else {
        const since = this.windowStart.get(placementKey(placement));
        this.windowStart.set(placementKey(placement), now);
        if (since === undefined || now <= since) continue; // first sight: this call is the window's start
        windowSeconds = (now - since) / 1000;
        const windows: PodWindow[] = [];
        for (const pod of live) {
          const uid = pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;
          const reading = readings.get(uid);
          if (!reading) continue;
          const started = startedAt(pod);
          windows.push({
            reading,
            baseline: this.baselines.get(uid),
            startedInWindow: started !== undefined && started >= since,
          });
        }
        figures = windowFigures(windows, windowSeconds);
      }
      const load = modelLoadSeconds(live);
      out.push({
        tenant: placement.tenant,
        workload: placement.workload,
        generation: this.o.appliedGeneration(placementKey(placement)) ?? placement.generation,
        replicas: live.length,
        readyReplicas: live.filter(isReady).length,
        ...figures,
        byRegion: {},
        ...(load === undefined ? {} : { modelLoadSeconds: load }),
        windowSeconds,
      });
    }
    if (!prometheus) this.baselines = readings;
    for (const w of this.windowStart.keys())
      if (!services.some((p) => placementKey(p) === w)) this.windowStart.delete(w);
    return out;
  }

  private async podsByWorkload(): Promise<Map<string, KubeServingPod[]>> {
    const out = new Map<string, KubeServingPod[]>();
    for (const item of await listOwned(this.o.http, POD_KIND, this.o.pageSize)) {
      const parsed = KubeServingPod.safeParse(item);
      if (!parsed.success) continue;
      const workload = ownerKeyOf(parsed.data.metadata.labels);
      if (!workload) continue;
      const list = out.get(workload) ?? [];
      list.push(parsed.data);
      out.set(workload, list);
    }
    return out;
  }

  /** Scrape every ready pod of the services; pod uid → reading. A pod that fails is left out (and logged). */
  private async scrapeAll(
    services: readonly Placement[],
    byWorkload: Map<string, KubeServingPod[]>,
  ): Promise<Map<string, Reading>> {
    const m = this.o.config.metrics;
    // Model servers open their HTTP port once the model is loaded: an unready pod has nothing to say.
    const pods = services.flatMap((p) => (byWorkload.get(placementKey(p)) ?? []).filter(isReady));
    const results = await pool(pods, m.concurrency, async (pod) => {
      const uid = pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;
      const target = scrapeTarget(pod, { port: m.port, path: m.path });
      if (!target.scrape) {
        this.o.logger.debug({ pod: pod.metadata.name, reason: target.reason }, "not scraping pod");
        return undefined;
      }
      try {
        const text = await this.fetcher(
          { namespace: pod.metadata.namespace ?? "", name: pod.metadata.name, podIP: pod.status.podIP },
          target,
          AbortSignal.timeout(m.timeoutMs),
        );
        const reading = readEngine(parseExposition(text));
        if (!reading) {
          this.o.logger.debug({ pod: pod.metadata.name }, "pod metrics are neither vLLM's nor TGI's");
          return undefined;
        }
        return [uid, reading] as const;
      } catch (e) {
        this.o.logger.warn({ pod: pod.metadata.name, err: messageOf(e) }, "scrape failed; pod left out of this window");
        return undefined;
      }
    });
    return new Map(results.filter((r) => r !== undefined));
  }

  /** One PromQL query per figure; a failed query is logged and reads 0, the others still count. */
  private async query(placement: Placement, live: KubeServingPod[], windowSeconds: number): Promise<WindowFigures> {
    const prometheus = this.o.config.prometheus;
    const figures: WindowFigures = {
      concurrency: 0,
      queueDepth: 0,
      p95LatencyMs: 0,
      tokensPerSecond: 0,
      requestsPerSecond: 0,
    };
    if (!prometheus) return figures;
    const context = {
      namespace: this.o.namespaceFor(placement.tenant),
      pods: live.map((p) => p.metadata.name),
      workload: placement.workload,
      tenant: placement.tenant,
      windowSeconds,
    };
    await Promise.all(
      SERVING_QUERY_METRICS.map(async (metric) => {
        const query = expandQuery(prometheus.queries[metric] ?? DEFAULT_QUERIES[metric], context);
        try {
          const value = await instantQuery(
            this.o.fetch,
            prometheus.url,
            query,
            AbortSignal.timeout(this.o.config.metrics.timeoutMs),
          );
          figures[metric] = Math.max(0, value);
        } catch (e) {
          this.o.logger.warn({ workload: placement.workload, metric, err: messageOf(e) }, "Prometheus query failed");
        }
      }),
    );
    return figures;
  }
}
