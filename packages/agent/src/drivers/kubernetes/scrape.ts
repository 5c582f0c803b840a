import { KubernetesDriverError } from "./errors.ts";
import type { KubeHttp } from "./http.ts";
import type { ScrapeTarget } from "./serving-pods.ts";

/** The Prometheus text format, never OpenMetrics or protobuf: the parser reads version 0.0.4. */
export const METRICS_ACCEPT = "text/plain;version=0.0.4;q=1,*/*;q=0.1";

export interface PodAddress {
  namespace: string;
  name: string;
  podIP: string | undefined;
}

type Target = Extract<ScrapeTarget, { scrape: true }>;

/** Reads one pod's metrics text. */
export type MetricsFetcher = (pod: PodAddress, target: Target, signal: AbortSignal) => Promise<string>;

/** The `fetch` shape the driver uses (global fetch satisfies it); tests and proxies can pass their own. */
export type FetchLike = (
  url: string,
  init: { signal: AbortSignal; headers: Record<string, string> },
) => Promise<Response>;

/**
 * Through the API server's pod proxy: works from outside the cluster network and needs only `pods/proxy: get`
 * (the API server reaches the pod). The proxy speaks https to the pod when the name is prefixed `https:`.
 */
export const proxyFetcher =
  (http: KubeHttp, maxBytes: number): MetricsFetcher =>
  (pod, target, signal) =>
    http.text(
      `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${target.scheme === "https" ? "https:" : ""}${encodeURIComponent(pod.name)}:${target.port}/proxy${target.path}`,
      { signal, accept: METRICS_ACCEPT, maxBytes },
    );

/** Read a response body, refusing more than `maxBytes` (a misbehaving endpoint must not fill the agent's heap). */
export const readCapped = async (res: Response, maxBytes: number): Promise<string> => {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new KubernetesDriverError("k8s_bad_response", `response is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
};

/** Straight to the pod IP: cheaper for the API server, needs the agent inside the pod network. */
export const directFetcher =
  (fetch: FetchLike, maxBytes: number): MetricsFetcher =>
  async (pod, target, signal) => {
    if (!pod.podIP) throw new KubernetesDriverError("k8s_bad_response", `pod ${pod.name} has no IP yet`);
    const host = pod.podIP.includes(":") ? `[${pod.podIP}]` : pod.podIP;
    const url = `${target.scheme}://${host}:${target.port}${target.path}`;
    const res = await fetch(url, { signal, headers: { accept: METRICS_ACCEPT } });
    if (!res.ok) {
      await res.body?.cancel();
      throw new KubernetesDriverError("k8s_bad_response", `GET ${url}: ${res.status}`, res.status);
    }
    return readCapped(res, maxBytes);
  };
