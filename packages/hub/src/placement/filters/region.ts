import { type FilterPlugin, type Rejection, remember } from "../framework.ts";

const notAllowed = (region: string, allowed: string): Rejection => ({
  code: "region_not_allowed",
  message: `region ${region || "(none)"} is not in the allowed regions (${allowed})`,
  plugin: "region",
  summary: "not in allowed regions",
});

/** The workload's region allow-list (`spec.placement.regions`, globs allowed); empty allows every region. */
export const regionFilter: FilterPlugin = {
  name: "region",
  filter({ cluster, request }) {
    const regions = request.regions;
    if (regions === null || regions.matches(cluster.region)) return undefined;
    const key = `region:${cluster.region}`;
    return request.memo.get(key) ?? remember(request, key, notAllowed(cluster.region, regions.label));
  },
};
