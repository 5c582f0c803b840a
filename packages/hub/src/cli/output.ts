import { CliError } from "@gantry/agent/errors";
import { stringify } from "yaml";
import { ExitCode } from "./exit-codes.ts";

export type OutputFormat = "table" | "wide" | "json" | "yaml" | "name";
const formats: readonly OutputFormat[] = ["table", "wide", "json", "yaml", "name"];

/**
 * Columns padded to their widest cell: the shape `kubectl get` users read without thinking. With `width` (the
 * terminal's), the last column (the free-text message) is cut with an ellipsis so rows stay one line each.
 */
export const table = (header: string[], rows: (string | number)[][], width?: number): string => {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const lead = widths.slice(0, -1).reduce((a, w) => a + w + 3, 0);
  const room = width === undefined ? Number.POSITIVE_INFINITY : Math.max(10, width - lead);
  const cut = (c: string) => (c.length <= room ? c : `${c.slice(0, room - 1)}…`);
  return cells
    .map((r) => r.map((c, i) => (i === r.length - 1 ? cut(c) : c.padEnd(widths[i] ?? 0))).join("   "))
    .join("\n");
};

/** The terminal's width, or undefined when the output goes to a pipe or a file (nothing is cut there). */
export const terminalWidth = (): number | undefined => (process.stdout.isTTY ? process.stdout.columns : undefined);

export const render = (value: unknown, format: OutputFormat, asTable: () => string): string => {
  if (format === "json") return JSON.stringify(value, null, 2);
  if (format === "yaml") return stringify(value).trimEnd();
  return asTable();
};

export const parseFormat = (value: string): OutputFormat => {
  const found = formats.find((f) => f === value);
  if (found) return found;
  throw new CliError(`-o must be one of ${formats.join(", ")} (got ${JSON.stringify(value)})`, ExitCode.usage);
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

const dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

/** Money, one way everywhere: US dollars with cents and thousands separators; a dash when unknown. */
export const usd = (n: number | null | undefined): string => (n === undefined || n === null ? "-" : dollars.format(n));
