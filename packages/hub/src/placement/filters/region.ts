import type { FilterPlugin } from "../framework.ts";

/** The workload's region allow-list (`spec.placement.regions`, globs allowed); empty allows every region. */
export const regionFilter: FilterPlugin = {
  name: "region",
  filter({ cluster, request }) {
    if (request.regions === null || request.regions.matches(cluster.region)) return undefined;
    return {
      code: "region_not_allowed",
      message: `region ${cluster.region || "(none)"} is not in the allowed regions (${request.regions.label})`,
      plugin: "region",
      summary: "not in allowed regions",
    };
  },
};
