import { z } from "zod";
import { KubernetesDriverError } from "./errors.ts";
import { type FetchLike, readCapped } from "./scrape.ts";

/**
 * Serving figures from the cluster's Prometheus instead of scraping pods: one instant query per figure
 * (`GET /api/v1/query`). Queries are templates: `{namespace}`, `{pods}` (a regex of the service's pod names),
 * `{workload}`, `{tenant}` and `{window}` (e.g. `60s`) are filled in per service.
 */

export const SERVING_QUERY_METRICS = [
  "concurrency",
  "queueDepth",
  "p95LatencyMs",
  "tokensPerSecond",
  "requestsPerSecond",
] as const;
export type ServingQueryMetric = (typeof SERVING_QUERY_METRICS)[number];

const SELECTOR = '{namespace="{namespace}",pod=~"{pods}"}';

/** vLLM's series, as a Prometheus that scrapes pods with `namespace` and `pod` target labels stores them. */
export const DEFAULT_QUERIES: Record<ServingQueryMetric, string> = {
  concurrency: `sum(vllm:num_requests_running${SELECTOR})`,
  queueDepth: `sum(vllm:num_requests_waiting${SELECTOR})`,
  p95LatencyMs: `1000 * histogram_quantile(0.95, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket${SELECTOR}[{window}])))`,
  tokensPerSecond: `sum(rate(vllm:generation_tokens_total${SELECTOR}[{window}]))`,
  requestsPerSecond: `sum(rate(vllm:request_success_total${SELECTOR}[{window}]))`,
};

export interface QueryContext {
  namespace: string;
  pods: readonly string[];
  workload: string;
  tenant: string;
  windowSeconds: number;
}

/** A regex matching exactly these names (pod names are DNS labels: only `.` needs escaping). */
const podRegex = (pods: readonly string[]): string =>
  pods.length === 0 ? "$^" : pods.map((p) => p.replaceAll(".", "\\\\.")).join("|");

/** Fill a query template for one service. */
export const expandQuery = (template: string, c: QueryContext): string =>
  template
    .replaceAll("{namespace}", c.namespace)
    .replaceAll("{pods}", podRegex(c.pods))
    .replaceAll("{workload}", c.workload)
    .replaceAll("{tenant}", c.tenant)
    .replaceAll("{window}", `${c.windowSeconds}s`);

const Sample = z.tuple([z.number(), z.string()]);
const QueryResponse = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("success"),
    data: z.discriminatedUnion("resultType", [
      z.object({ resultType: z.literal("vector"), result: z.array(z.object({ value: Sample })) }),
      z.object({ resultType: z.literal("scalar"), result: Sample }),
    ]),
  }),
  z.object({ status: z.literal("error"), errorType: z.string().optional(), error: z.string().optional() }),
]);

/**
 * One instant query; the vector's values summed (an empty vector is 0: no series, nothing in flight) and NaN
 * (a quantile of no observations) taken as 0.
 */
export const instantQuery = async (
  fetch: FetchLike,
  baseUrl: string,
  query: string,
  signal: AbortSignal,
): Promise<number> => {
  const url = `${baseUrl.replace(/\/+$/, "")}/api/v1/query?${new URLSearchParams({ query }).toString()}`;
  const res = await fetch(url, { signal, headers: { accept: "application/json" } });
  const text = await readCapped(res, 4 * 1024 * 1024);
  let parsed: z.infer<typeof QueryResponse>;
  try {
    parsed = QueryResponse.parse(JSON.parse(text));
  } catch (e) {
    throw new KubernetesDriverError(
      "k8s_bad_response",
      `Prometheus ${res.status} for ${query}: not a query response`,
      res.status,
      {
        cause: e,
      },
    );
  }
  if (parsed.status === "error") {
    throw new KubernetesDriverError(
      "k8s_bad_response",
      `Prometheus refused ${query}: ${parsed.errorType ?? ""} ${parsed.error ?? ""}`.trim(),
      res.status,
    );
  }
  const values = parsed.data.resultType === "scalar" ? [parsed.data.result] : parsed.data.result.map((r) => r.value);
  return values.reduce((n, [, v]) => {
    const x = Number(v);
    return Number.isFinite(x) ? n + x : n;
  }, 0);
};
