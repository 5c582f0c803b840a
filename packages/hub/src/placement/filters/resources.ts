import type { FilterPlugin } from "../framework.ts";
import { replicasNeeded } from "./gpu-fit.ts";

/** CPU and memory per replica, on the same nodes as its GPUs (reads the slot counts the gpu-fit filter made). */
export const resourcesFilter: FilterPlugin = {
  name: "resources",
  filter(ctx) {
    const need = replicasNeeded(ctx);
    const o = ctx.chosen;
    if (o === undefined || ctx.fitReplicas >= need) return undefined;
    const req = ctx.request;
    const where = req.gpus > 0 ? ` beside ${req.gpus} ${o.model ?? "GPU"}` : "";
    if (o.cpuSlots < need) {
      return {
        code: "insufficient_cpu",
        message: `needs ${req.cpu} CPU per replica${where}; room for ${o.cpuSlots} of ${need} replicas`,
        plugin: "resources",
        summary: "insufficient CPU",
      };
    }
    return {
      code: "insufficient_memory",
      message: `needs ${req.memoryGiB} GiB memory per replica${where}; room for ${o.memorySlots} of ${need} replicas`,
      plugin: "resources",
      summary: "insufficient memory",
    };
  },
};
