import { CliError } from "@gantry/agent";
import { stringify } from "yaml";

export type OutputFormat = "table" | "json" | "yaml";

/** Columns padded to their widest cell: the shape `kubectl get` users read without thinking. */
export const table = (header: string[], rows: (string | number)[][]): string => {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("   ")).join("\n");
};

export const render = (value: unknown, format: OutputFormat, asTable: () => string): string => {
  if (format === "json") return JSON.stringify(value, null, 2);
  if (format === "yaml") return stringify(value).trimEnd();
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
