import type { FilterPlugin } from "../framework.ts";

/** Only clusters whose agent reports them ready take new work; `unknown` may be a partition, so it is skipped too. */
export const healthFilter: FilterPlugin = {
  name: "health",
  filter({ cluster }) {
    if (cluster.health === "ready") return undefined;
    return {
      code: "cluster_not_ready",
      message: `cluster is ${cluster.health}`,
      plugin: "health",
      summary: "cluster not ready",
    };
  },
};
