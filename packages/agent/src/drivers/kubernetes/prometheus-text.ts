import { KubernetesDriverError } from "./errors.ts";

/**
 * A parser for the Prometheus text exposition format (version 0.0.4), to flat samples.
 *
 * Why not a library: the npm parsers were tried on vLLM's output and each fails on it.
 * `parse-prometheus-text-format` 1.1.1 (the common one, last released 2019) folds every label set of a
 * histogram into one map and drops their `_count`/`_sum` (vLLM labels every series with `model_name`);
 * `prom2javascript` 0.2.0 rejects metric names with colons (`vllm:num_requests_running`); the parser inside
 * `@platformatic/promotel` skips `NaN`/`Inf` values silently and brings protobufjs, undici and prom-client.
 * The format is small and specified, so this follows the spec
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-format-details) and is tested on it.
 */

export interface Sample {
  /** The sample's own name: `x_bucket`, `x_sum`, `x_total`, as written. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** `# TYPE` per metric family name (`counter`, `gauge`, `histogram`, `summary`, `untyped`). */
  types: Map<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const TIMESTAMP = /^-?\d+$/;

const fail = (line: number, why: string): KubernetesDriverError =>
  new KubernetesDriverError("k8s_bad_metrics", `metrics line ${line}: ${why}`);

/** A sample value as Go's ParseFloat reads it: decimals, exponents, ±Inf, NaN. */
export const parseValue = (text: string): number | undefined => {
  if (/^[+-]?inf(inity)?$/i.test(text))
    return text.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^nan$/i.test(text)) return Number.NaN;
  return FLOAT.test(text) ? Number(text) : undefined;
};

/** Labels from just after `{` to just after `}`; returns the labels and where parsing stopped. */
const parseLabels = (text: string, start: number, line: number): { labels: Record<string, string>; end: number } => {
  const labels: Record<string, string> = {};
  let i = start;
  const skipBlanks = () => {
    while (text[i] === " " || text[i] === "\t") i++;
  };
  for (;;) {
    skipBlanks();
    if (text[i] === "}") return { labels, end: i + 1 };
    const name = LABEL_NAME.exec(text.slice(i))?.[0];
    if (!name) throw fail(line, `bad label name at column ${i + 1}`);
    i += name.length;
    skipBlanks();
    if (text[i] !== "=") throw fail(line, `expected = after label ${name}`);
    i++;
    skipBlanks();
    if (text[i] !== '"') throw fail(line, `expected " to open the value of label ${name}`);
    i++;
    let value = "";
    for (;;) {
      const c = text[i];
      if (c === undefined) throw fail(line, `unterminated value of label ${name}`);
      i++;
      if (c === '"') break;
      if (c !== "\\") {
        value += c;
        continue;
      }
      const escaped = text[i];
      i++;
      if (escaped === "n") value += "\n";
      else if (escaped === "\\" || escaped === '"') value += escaped;
      else throw fail(line, `bad escape \\${escaped ?? ""} in label ${name}`);
    }
    if (name in labels) throw fail(line, `label ${name} repeated`);
    labels[name] = value;
    skipBlanks();
    if (text[i] === ",") i++;
    else if (text[i] !== "}") throw fail(line, `expected , or } after label ${name}`);
  }
};

const parseSample = (text: string, line: number): Sample => {
  const name = NAME.exec(text)?.[0];
  if (!name) throw fail(line, "a sample must start with a metric name");
  let rest = text.slice(name.length);
  let labels: Record<string, string> = {};
  const trimmed = rest.trimStart();
  if (trimmed.startsWith("{")) {
    const parsed = parseLabels(trimmed, 1, line);
    labels = parsed.labels;
    rest = trimmed.slice(parsed.end);
  }
  const fields = rest.trim().split(/[ \t]+/);
  const [valueText = "", timestamp, extra] = fields;
  const value = parseValue(valueText);
  if (value === undefined) throw fail(line, `bad value "${valueText}" for ${name}`);
  if (timestamp !== undefined && !TIMESTAMP.test(timestamp)) throw fail(line, `bad timestamp "${timestamp}"`);
  if (extra !== undefined) throw fail(line, `unexpected "${extra}" after the sample of ${name}`);
  return { name, labels, value };
};

/** Parse a whole exposition; throws `k8s_bad_metrics` naming the line of the first malformed one. */
export const parseExposition = (text: string): Exposition => {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const lines = text.split("\n");
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith("#")) {
      const type = /^#\s+TYPE\s+(\S+)\s+(\S+)\s*$/.exec(line);
      if (type?.[1] && type[2]) types.set(type[1], type[2].toLowerCase());
      else if (/^#\s+TYPE\s/.test(line)) throw fail(index + 1, "malformed TYPE line");
      continue; // HELP and plain comments
    }
    samples.push(parseSample(line, index + 1));
  }
  return { samples, types };
};
