import { type FilterPlugin, type Rejection, remember } from "../framework.ts";

const notAllowed = (region: string, allowed: string): Rejection => ({
  code: "region_not_allowed",
  message: `region ${region || "(none)"} is not in the allowed regions (${allowed})`,
  plugin: "region",
  summary: "not in allowed regions",
});

/**
 * The workload's region allow-list (`spec.placement.regions`, globs allowed); empty allows every region. Each
 * distinct region is matched once per decision; clusters then read the verdict by region id.
 */
export const regionFilter: FilterPlugin = {
  name: "region",
  filter({ snapshot, index, request }) {
    const regions = request.regions;
    if (regions === null) return undefined;
    const id = snapshot.region[index]!;
    let ok = request.regionOk[id]!;
    if (ok < 0) {
      ok = regions.matches(snapshot.regions[id]!) ? 1 : 0;
      request.regionOk[id] = ok;
    }
    if (ok === 1) return undefined;
    const key = `region:${id}`;
    return request.memo.get(key) ?? remember(request, key, notAllowed(snapshot.regions[id]!, regions.label));
  },
};
