import { createRequire } from "node:module";
import { CliError } from "@gantry/agent/cli";

/** The YAML library loads only for `-o yaml`: most commands print tables, and it is large to load at every start. */
const yamlStringify = (value: unknown): string =>
  (createRequire(import.meta.url)("yaml") as typeof import("yaml")).stringify(value);

export type OutputFormat = "table" | "json" | "yaml";

/** Columns padded to their widest cell: the shape `kubectl get` users read without thinking. */
export const table = (header: string[], rows: (string | number)[][]): string => {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("   ")).join("\n");
};

export const render = (value: unknown, format: OutputFormat, asTable: () => string): string => {
  if (format === "json") return JSON.stringify(value, null, 2);
  if (format === "yaml") return yamlStringify(value).trimEnd();
  return asTable();
};

export const parseFormat = (value: string): OutputFormat => {
  if (value === "json" || value === "yaml" || value === "table" || value === "wide")
    return value === "wide" ? "table" : value;
  throw new CliError(`-o must be one of json, yaml, table (got ${JSON.stringify(value)})`);
};

export { CliError };

export const age = (iso: string | null | undefined, now = Date.now()): string => {
  if (!iso) return "-";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
};

export const usd = (n: number | undefined): string => (n === undefined ? "-" : `$${n.toFixed(2)}`);
