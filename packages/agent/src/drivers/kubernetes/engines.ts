import type { Buckets } from "./histogram.ts";
import type { Exposition } from "./prometheus-text.ts";

/**
 * Which series of a model server's /metrics mean what. Names are the servers' own:
 * vLLM (vllm/v1/metrics/loggers.py; also v0's vllm/engine/metrics.py): every series labelled `model_name`
 * (and `engine` in V1); TGI (router/src/server.rs, docs/source/reference/metrics.md): unlabelled.
 * TGI has no time-to-first-token histogram: its latency is `tgi_request_duration`, the whole request,
 * which the serving contract allows ("p95 of time to first token, or of request latency").
 */
export interface EngineProfile {
  engine: "vllm" | "tgi";
  /** Present in every exposition of this engine: how it is recognised. */
  marker: string;
  /** Gauge: requests being processed now. */
  concurrency: string;
  /** Gauge: requests waiting for a batch slot. */
  queueDepth: string;
  /** Histogram in seconds (family name; its series are `<name>_bucket{le}`). */
  latency: string;
  /** Counter of generated tokens (a histogram's `_sum` is a counter too). */
  tokens: string;
  /** Counter of requests answered successfully. */
  requests: string;
}

export const ENGINES: readonly EngineProfile[] = [
  {
    engine: "vllm",
    marker: "vllm:num_requests_running",
    concurrency: "vllm:num_requests_running",
    queueDepth: "vllm:num_requests_waiting",
    latency: "vllm:time_to_first_token_seconds",
    tokens: "vllm:generation_tokens_total",
    requests: "vllm:request_success_total",
  },
  {
    engine: "tgi",
    marker: "tgi_queue_size",
    concurrency: "tgi_batch_current_size",
    queueDepth: "tgi_queue_size",
    latency: "tgi_request_duration",
    tokens: "tgi_request_generated_tokens_sum",
    requests: "tgi_request_success",
  },
];

/** What one scrape of one model server says, summed over its label sets (models, engines, finish reasons). */
export interface Reading {
  engine: EngineProfile["engine"];
  concurrency: number;
  queueDepth: number;
  /** Counters: monotonic until the process restarts. */
  tokens: number;
  requests: number;
  /** Cumulative latency buckets, upper bounds in seconds. */
  latency: Buckets;
}

const sum = (e: Exposition, name: string): number =>
  e.samples.reduce((n, s) => (s.name === name && Number.isFinite(s.value) ? n + s.value : n), 0);

const buckets = (e: Exposition, family: string): Buckets => {
  const out: Buckets = new Map();
  const name = `${family}_bucket`;
  for (const s of e.samples) {
    if (s.name !== name || s.labels.le === undefined) continue;
    const le = s.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    if (Number.isNaN(le) || !Number.isFinite(s.value)) continue;
    out.set(le, (out.get(le) ?? 0) + s.value);
  }
  return out;
};

/** The reading of the first engine whose marker series the exposition has; undefined for anything else. */
export const readEngine = (e: Exposition): Reading | undefined => {
  const present = new Set(e.samples.map((s) => s.name));
  const profile = ENGINES.find((p) => present.has(p.marker));
  if (!profile) return undefined;
  return {
    engine: profile.engine,
    concurrency: sum(e, profile.concurrency),
    queueDepth: sum(e, profile.queueDepth),
    tokens: sum(e, profile.tokens),
    requests: sum(e, profile.requests),
    latency: buckets(e, profile.latency),
  };
};
