import type { ClusterSelector, Fleet, FleetCluster } from "@gantry/shared";

/** Shell-style glob with `*` and `?`, anchored. */
const globToRegExp = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replaceAll("*", ".*")
      .replaceAll("?", ".")}$`,
  );

const anyGlob = (globs: string[], value: string): boolean => globs.some((g) => globToRegExp(g).test(value));

/** Does a cluster belong to a pool? Every criterion the selector names must match. */
export const selects = (selector: ClusterSelector, c: FleetCluster): boolean =>
  (selector.tiers.length === 0 || selector.tiers.includes(c.tier)) &&
  (selector.regions.length === 0 || anyGlob(selector.regions, c.region)) &&
  (selector.names.length === 0 || anyGlob(selector.names, c.name)) &&
  Object.entries(selector.labels).every(([k, v]) => c.labels[k] === v);

/** Names of the fleet's clusters a selector picks. */
export const clustersIn = (fleet: Fleet, selector: ClusterSelector): string[] =>
  fleet.clusters.filter((c) => selects(selector, c)).map((c) => c.name);

/** Share of GPUs in use (reported or reserved) across the named clusters, 0–1; 1 when they have none. */
export const utilisation = (fleet: Fleet, names: readonly string[]): number => {
  const wanted = new Set(names);
  let total = 0;
  let used = 0;
  for (const c of fleet.clusters) {
    if (!wanted.has(c.name) || c.health !== "ready") continue;
    for (const n of c.nodes) {
      if (!n.gpu || !n.ready || !n.schedulable) continue;
      total += n.gpu.count * n.count;
      used += Math.min(n.gpu.count, n.gpusUsed) * n.count;
    }
  }
  for (const r of fleet.reservations) {
    if (wanted.has(r.cluster)) used += r.nodes.reduce((s, n) => s + n.gpus, 0);
  }
  return total === 0 ? 1 : Math.min(1, used / total);
};
