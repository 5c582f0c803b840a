import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A stand-in for a model server's /metrics on 127.0.0.1: the series vLLM (V1 engine, prometheus_client text
 * output: `.0` floats, `_created` gauges, `le` last, `model_name` and `engine` labels) or TGI
 * (metrics-exporter-prometheus output: unlabelled integers, its geometric duration buckets) expose, from
 * requests the test feeds in. Tests compute what they expect from the requests they fed, not from this text.
 */
export interface ModelServer {
  port: number;
  /** Requests in flight and waiting now (gauges). */
  setLoad(running: number, waiting: number): void;
  /** One finished request: its time to first token (vLLM) or duration (TGI), and the tokens it generated. */
  finish(latencySeconds: number, tokens: number): void;
  /** Forget every counter, as a restarted process does. */
  restart(): void;
  /** Accept headers of the scrapes it answered. */
  readonly accepts: string[];
  close(): Promise<void>;
}

const MODEL = "meta-llama/Llama-3.1-8B-Instruct";

/** vLLM V1's buckets for vllm:time_to_first_token_seconds. */
const VLLM_TTFT = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0,
  640.0, 2560.0,
];

/** TGI's duration buckets: 35 steps of ×1.5 from 0.0001 s (router/src/server.rs). */
const TGI_DURATION = Array.from({ length: 35 }, (_, i) => 0.0001 * 1.5 ** (i + 1));

/** prometheus_client's floatToGoString, for the values these tests produce. */
const py = (n: number): string => {
  if (n === Number.POSITIVE_INFINITY) return "+Inf";
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return `${n}.0`;
  return String(n);
};

const cumulative = (bounds: readonly number[], values: readonly number[]): number[] =>
  bounds.map((le) => values.filter((v) => v <= le).length);

const vllmText = (s: State): string => {
  const l = `engine="0",model_name="${MODEL}"`;
  const lines = [
    "# HELP python_gc_objects_collected_total Objects collected during gc",
    "# TYPE python_gc_objects_collected_total counter",
    'python_gc_objects_collected_total{generation="0"} 18342.0',
    "# HELP process_resident_memory_bytes Resident memory size in bytes.",
    "# TYPE process_resident_memory_bytes gauge",
    "process_resident_memory_bytes 5.137457152e+09",
    "# HELP vllm:num_requests_running Number of requests in model execution batches.",
    "# TYPE vllm:num_requests_running gauge",
    `vllm:num_requests_running{${l}} ${py(s.running)}`,
    "# HELP vllm:num_requests_waiting Number of requests waiting to be processed.",
    "# TYPE vllm:num_requests_waiting gauge",
    `vllm:num_requests_waiting{${l}} ${py(s.waiting)}`,
    "# HELP vllm:gpu_cache_usage_perc GPU KV-cache usage. 1 means 100 percent usage.",
    "# TYPE vllm:gpu_cache_usage_perc gauge",
    `vllm:gpu_cache_usage_perc{${l}} 0.4231`,
    "# HELP vllm:prompt_tokens_total Number of prefill tokens processed.",
    "# TYPE vllm:prompt_tokens_total counter",
    `vllm:prompt_tokens_total{${l}} ${py(s.latencies.length * 512)}`,
    "# HELP vllm:prompt_tokens_created Number of prefill tokens processed.",
    "# TYPE vllm:prompt_tokens_created gauge",
    `vllm:prompt_tokens_created{${l}} 1.7145576001234e+09`,
    "# HELP vllm:generation_tokens_total Number of generation tokens processed.",
    "# TYPE vllm:generation_tokens_total counter",
    `vllm:generation_tokens_total{${l}} ${py(s.tokens)}`,
    "# HELP vllm:generation_tokens_created Number of generation tokens processed.",
    "# TYPE vllm:generation_tokens_created gauge",
    `vllm:generation_tokens_created{${l}} 1.7145576001234e+09`,
    "# HELP vllm:request_success_total Count of successfully processed requests.",
    "# TYPE vllm:request_success_total counter",
    // Finished requests split by reason, as vLLM labels them: the test's total is the sum.
    `vllm:request_success_total{${l},finished_reason="stop"} ${py(s.latencies.length - Math.floor(s.latencies.length / 4))}`,
    `vllm:request_success_total{${l},finished_reason="length"} ${py(Math.floor(s.latencies.length / 4))}`,
    `vllm:request_success_total{${l},finished_reason="abort"} 0.0`,
    "# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.",
    "# TYPE vllm:time_to_first_token_seconds histogram",
  ];
  const counts = cumulative(VLLM_TTFT, s.latencies);
  for (const [i, le] of VLLM_TTFT.entries())
    lines.push(`vllm:time_to_first_token_seconds_bucket{${l},le="${py(le)}"} ${py(counts[i] ?? 0)}`);
  lines.push(`vllm:time_to_first_token_seconds_bucket{${l},le="+Inf"} ${py(s.latencies.length)}`);
  lines.push(`vllm:time_to_first_token_seconds_count{${l}} ${py(s.latencies.length)}`);
  lines.push(`vllm:time_to_first_token_seconds_sum{${l}} ${py(s.latencies.reduce((a, b) => a + b, 0))}`);
  lines.push("# HELP vllm:time_to_first_token_seconds_created Histogram of time to first token in seconds.");
  lines.push("# TYPE vllm:time_to_first_token_seconds_created gauge");
  lines.push(`vllm:time_to_first_token_seconds_created{${l}} 1.7145576001234e+09`);
  return `${lines.join("\n")}\n`;
};

const tgiText = (s: State): string => {
  const n = s.latencies.length;
  const lines = [
    "# TYPE tgi_request_count counter",
    `tgi_request_count ${n + 2}`,
    "# TYPE tgi_request_success counter",
    `tgi_request_success ${n}`,
    "# TYPE tgi_request_failure counter",
    'tgi_request_failure{err="validation"} 2',
    "# TYPE tgi_queue_size gauge",
    `tgi_queue_size ${s.waiting}`,
    "# TYPE tgi_batch_current_size gauge",
    `tgi_batch_current_size ${s.running}`,
    "# TYPE tgi_batch_current_max_tokens gauge",
    "tgi_batch_current_max_tokens 16384",
    "# TYPE tgi_request_duration histogram",
  ];
  const counts = cumulative(TGI_DURATION, s.latencies);
  for (const [i, le] of TGI_DURATION.entries()) lines.push(`tgi_request_duration_bucket{le="${le}"} ${counts[i] ?? 0}`);
  lines.push(`tgi_request_duration_bucket{le="+Inf"} ${n}`);
  lines.push(`tgi_request_duration_sum ${s.latencies.reduce((a, b) => a + b, 0)}`);
  lines.push(`tgi_request_duration_count ${n}`);
  lines.push("# TYPE tgi_request_generated_tokens histogram");
  const tokenBounds = Array.from({ length: 20 }, (_, i) => (i + 1) * 100);
  const tokenCounts = cumulative(tokenBounds, s.tokenList);
  for (const [i, le] of tokenBounds.entries())
    lines.push(`tgi_request_generated_tokens_bucket{le="${le}"} ${tokenCounts[i] ?? 0}`);
  lines.push(`tgi_request_generated_tokens_bucket{le="+Inf"} ${n}`);
  lines.push(`tgi_request_generated_tokens_sum ${s.tokens}`);
  lines.push(`tgi_request_generated_tokens_count ${n}`);
  return `${lines.join("\n")}\n`;
};

interface State {
  running: number;
  waiting: number;
  tokens: number;
  latencies: number[];
  tokenList: number[];
}

/** Start one model server's metrics endpoint on a free port. */
export const startModelServer = async (engine: "vllm" | "tgi"): Promise<ModelServer> => {
  let state: State = { running: 0, waiting: 0, tokens: 0, latencies: [], tokenList: [] };
  const accepts: string[] = [];
  const server = createServer((req, res) => {
    if (req.url?.split("?")[0] !== "/metrics") {
      res.writeHead(404).end("not found");
      return;
    }
    accepts.push(req.headers.accept ?? "");
    const text = engine === "vllm" ? vllmText(state) : tgiText(state);
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    accepts,
    setLoad(running, waiting) {
      state.running = running;
      state.waiting = waiting;
    },
    finish(latency, tokens) {
      state.latencies.push(latency);
      state.tokenList.push(tokens);
      state.tokens += tokens;
    },
    restart() {
      state = { running: 0, waiting: 0, tokens: 0, latencies: [], tokenList: [] };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
