import { type FilterPlugin, type PlanRequest, type Rejection, remember } from "../framework.ts";

import { replicasNeeded } from "./gpu-fit.ts";

const tooSmall = (req: PlanRequest, cpu: boolean, model: string, slots: number, need: number): Rejection => {
  const beside = req.gpus > 0 ? ` beside ${req.gpus} ${model}` : "";
  const per = cpu ? `${req.cpu} CPU` : `${req.memoryGiB} GiB memory`;
  return {
    code: cpu ? "insufficient_cpu" : "insufficient_memory",
    message: `needs ${per} per replica${beside}; room for ${slots} of ${need} replicas`,
    plugin: "resources",
    summary: cpu ? "insufficient CPU" : "insufficient memory",
  };
};

/** CPU and memory per replica, on the same nodes as its GPUs (reads the slot counts the gpu-fit filter made). */
export const resourcesFilter: FilterPlugin = {
  name: "resources",
  filter(ctx) {
    const need = replicasNeeded(ctx);
    const o = ctx.chosen;
    if (o === undefined || ctx.fitReplicas >= need) return undefined;
    const req = ctx.request;
    const model = o.model ?? "GPU";
    const cpu = o.cpuSlots < need;
    const slots = cpu ? o.cpuSlots : o.memorySlots;
    const key = `${cpu ? "cpu" : "memory"}:${model}:${slots}`;
    return req.memo.get(key) ?? remember(req, key, tooSmall(req, cpu, model, slots, need));
  },
};
