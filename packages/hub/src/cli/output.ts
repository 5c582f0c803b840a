import { createRequire } from "node:module";
import { CliError } from "@gantry/agent/errors";
import { ExitCode } from "./exit-codes.ts";

/** The YAML library loads only for `-o yaml`: most commands print tables, and it is large to load at every start. */
const yamlStringify = (value: unknown): string =>
  (createRequire(import.meta.url)("yaml") as typeof import("yaml")).stringify(value);

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
  if (format === "yaml") return yamlStringify(value).trimEnd();
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

/** One item of a staging plan as the API returns it (`placements[].staging`, `explain.staging[].items`). */
export interface StagingItemView {
  dataset: string;
  sizeGB: number;
  gbps: number;
  shards?: number[];
}
/** A staging copy's progress as its agent reports it. */
export interface StagingProgressView {
  copiedGB: number;
  totalGB: number;
  etaSeconds: number;
}

const seconds = (s: number): string =>
  s < 120 ? `${Math.round(s)}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${(s / 3600).toFixed(1)}h`;

/** What a cluster copies in before starting, and how far it is: "clinical-notes 400 GB at 2 Gbit/s (~27m); 120/400 GB, 19m left". */
export const stagingText = (items: StagingItemView[], progress?: StagingProgressView | null): string => {
  const plan = items
    .map(
      (i) =>
        `${i.dataset} ${i.sizeGB} GB${i.shards ? ` (shards ${i.shards.join(",")})` : ""} at ${i.gbps} Gbit/s (~${seconds((i.sizeGB * 8) / i.gbps)})`,
    )
    .join("; ");
  if (!progress) return plan;
  return `${plan}; ${Math.round(progress.copiedGB)}/${Math.round(progress.totalGB)} GB copied, ${seconds(progress.etaSeconds)} left`;
};

/** A dataset copy as `GET /datasets` returns it. */
export interface DatasetCopyView {
  cluster: string;
  state: string;
  sizeGB: number;
  copiedGB: number;
  shards?: number[];
  lastUsedAt?: string;
}

/** The COPIES column of `gantry get datasets`: where copies are, their size, and when a workload last used them. */
export const copiesText = (copies: DatasetCopyView[], now = Date.now()): string =>
  copies
    .map((c) => {
      const shards = c.shards ? ` shards ${c.shards.join(",")}` : "";
      if (c.state !== "ready")
        return `${c.cluster} (staging ${Math.round(c.copiedGB)}/${Math.round(c.sizeGB)} GB${shards})`;
      return `${c.cluster} (${c.sizeGB} GB${shards}${c.lastUsedAt ? `, used ${age(c.lastUsedAt, now)} ago` : ""})`;
    })
    .join(", ") || "-";
