import { describe, expect, it } from "vitest";
import { isDriverError } from "./errors.ts";
import { parseExposition, parseValue } from "./prometheus-text.ts";

/** The example of the exposition format documentation, verbatim. */
const SPEC_EXAMPLE = `# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9

# Minimalistic line:
metric_without_timestamp_and_labels 12.47

# A weird metric from before the epoch:
something_weird{problem="division by zero"} +Inf -3982045

# A histogram, which has a pretty complex representation in the text format:
# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="0.1"} 33444
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320
`;

const failure = (text: string): string => {
  try {
    parseExposition(text);
  } catch (e) {
    if (isDriverError(e, "k8s_bad_metrics")) return e.message;
    throw e;
  }
  throw new Error("parsed");
};

describe("parseExposition", () => {
  it("reads the documentation's example: labels, escapes, timestamps, +Inf, histogram series", () => {
    const { samples, types } = parseExposition(SPEC_EXAMPLE);
    expect(types.get("http_requests_total")).toBe("counter");
    expect(types.get("http_request_duration_seconds")).toBe("histogram");
    expect(samples).toHaveLength(10);
    expect(samples[0]).toEqual({ name: "http_requests_total", labels: { method: "post", code: "200" }, value: 1027 });
    expect(samples[2]).toEqual({
      name: "msdos_file_access_time_seconds",
      labels: { path: "C:\\DIR\\FILE.TXT", error: 'Cannot find file:\n"FILE.TXT"' },
      value: 1.458255915e9,
    });
    expect(samples[4]?.value).toBe(Number.POSITIVE_INFINITY);
    expect(samples[7]).toEqual({ name: "http_request_duration_seconds_bucket", labels: { le: "+Inf" }, value: 144320 });
  });

  it("keeps every label set of a labelled histogram apart, and colons in names", () => {
    const text = [
      "# TYPE vllm:time_to_first_token_seconds histogram",
      'vllm:time_to_first_token_seconds_bucket{engine="0",le="0.1",model_name="a"} 5.0',
      'vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf",model_name="a"} 9.0',
      'vllm:time_to_first_token_seconds_count{engine="0",model_name="a"} 9.0',
      'vllm:time_to_first_token_seconds_bucket{engine="0",le="0.1",model_name="b"} 1.0',
      'vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf",model_name="b",} 2.0',
    ].join("\n");
    const { samples } = parseExposition(text);
    expect(samples.map((s) => [s.labels.model_name, s.labels.le, s.value])).toEqual([
      ["a", "0.1", 5],
      ["a", "+Inf", 9],
      ["a", undefined, 9],
      ["b", "0.1", 1],
      ["b", "+Inf", 2],
    ]);
  });

  it("reads NaN, -Inf, exponents and tabs", () => {
    const { samples } = parseExposition('a NaN\nb\t-Inf\nc 1e-3\nd{x="1"}\t+2.5E2\n');
    expect(samples.map((s) => s.value)).toEqual([Number.NaN, Number.NEGATIVE_INFINITY, 0.001, 250]);
  });

  it("names the line of a malformed sample", () => {
    expect(failure("ok 1\nbad{le=0.1} 3\n")).toBe('metrics line 2: expected " to open the value of label le');
    expect(failure("x 1 2 3")).toContain("line 1: unexpected");
    expect(failure("x 0x10")).toContain('bad value "0x10"');
    expect(failure('x{a="1",a="2"} 1')).toContain("label a repeated");
    expect(failure('x{a="1} 1')).toContain("unterminated value of label a");
    expect(failure('{a="1"} 1')).toContain("must start with a metric name");
  });

  it("reads values as Go's ParseFloat does, and refuses what it refuses", () => {
    expect(parseValue("+Inf")).toBe(Number.POSITIVE_INFINITY);
    expect(parseValue("-inf")).toBe(Number.NEGATIVE_INFINITY);
    expect(parseValue(".5")).toBe(0.5);
    expect(parseValue("")).toBeUndefined();
    expect(parseValue("1,5")).toBeUndefined();
  });
});
