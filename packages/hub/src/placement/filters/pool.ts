import { type FilterPlugin, type Rejection, remember } from "../framework.ts";

const notInPool = (pool: string | undefined): Rejection => {
  const message = pool === undefined ? "not in the allowed pool" : `not in pool ${pool}`;
  return { code: "not_in_pool", message, plugin: "pool", summary: message };
};

/** Restricts the decision to a burst policy's pool of clusters. */
export const poolFilter: FilterPlugin = {
  name: "pool",
  filter({ index, request }) {
    if (request.pool === null || request.pool[index] === 1) return undefined;
    return request.memo.get("pool") ?? remember(request, "pool", notInPool(request.poolName));
  },
};
