import { describe, expect, it } from "vitest";
import { readEngine } from "./engines.ts";
import { parseExposition } from "./prometheus-text.ts";

describe("readEngine", () => {
  it("sums vLLM's series over models and finish reasons, and merges their histograms bucket by bucket", () => {
    const r = readEngine(
      parseExposition(
        [
          'vllm:num_requests_running{engine="0",model_name="a"} 2.0',
          'vllm:num_requests_running{engine="1",model_name="a"} 3.0',
          'vllm:num_requests_waiting{engine="0",model_name="a"} 1.0',
          'vllm:generation_tokens_total{engine="0",model_name="a"} 100.0',
          'vllm:request_success_total{engine="0",finished_reason="stop",model_name="a"} 7.0',
          'vllm:request_success_total{engine="0",finished_reason="length",model_name="a"} 2.0',
          'vllm:time_to_first_token_seconds_bucket{engine="0",le="0.1",model_name="a"} 4.0',
          'vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf",model_name="a"} 5.0',
          'vllm:time_to_first_token_seconds_bucket{engine="1",le="0.1",model_name="a"} 1.0',
          'vllm:time_to_first_token_seconds_bucket{engine="1",le="+Inf",model_name="a"} 4.0',
          'vllm:time_to_first_token_seconds_count{engine="0",model_name="a"} 5.0',
        ].join("\n"),
      ),
    );
    expect(r).toEqual({
      engine: "vllm",
      concurrency: 5,
      queueDepth: 1,
      tokens: 100,
      requests: 9,
      latency: new Map([
        [0.1, 5],
        [Number.POSITIVE_INFINITY, 9],
      ]),
    });
  });

  it("reads TGI's series, and nothing from an exposition of neither engine", () => {
    const tgi = readEngine(
      parseExposition(
        "tgi_queue_size 4\ntgi_batch_current_size 6\ntgi_request_success 10\ntgi_request_generated_tokens_sum 900\n",
      ),
    );
    expect(tgi).toMatchObject({ engine: "tgi", concurrency: 6, queueDepth: 4, requests: 10, tokens: 900 });
    expect(readEngine(parseExposition("process_resident_memory_bytes 1e9\n"))).toBeUndefined();
  });
});
