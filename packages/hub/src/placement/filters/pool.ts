import type { FilterPlugin } from "../framework.ts";

/** Restricts the decision to a burst policy's pool of clusters. */
export const poolFilter: FilterPlugin = {
  name: "pool",
  filter({ cluster, request }) {
    if (request.pool === null || request.pool.has(cluster.name)) return undefined;
    const message = request.poolName === undefined ? "not in the allowed pool" : `not in pool ${request.poolName}`;
    return { code: "not_in_pool", message, plugin: "pool", summary: message };
  },
};
