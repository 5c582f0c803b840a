import { type FilterPlugin, type Rejection, remember } from "../framework.ts";
import { HEALTHS } from "../snapshot.ts";

const notReady = (health: string): Rejection => ({
  code: "cluster_not_ready",
  message: `cluster is ${health}`,
  plugin: "health",
  summary: "cluster not ready",
});

/** Only clusters whose agent reports them ready take new work; `unknown` may be a partition, so it is skipped too. */
export const healthFilter: FilterPlugin = {
  name: "health",
  filter({ snapshot, index, request }) {
    if (snapshot.ready[index] === 1) return undefined;
    const health = snapshot.health[index]!;
    const key = `health:${health}`;
    return request.memo.get(key) ?? remember(request, key, notReady(HEALTHS[health]!));
  },
};
