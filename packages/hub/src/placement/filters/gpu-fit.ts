import { countSlots } from "../capacity.ts";
import type { ClusterContext, FilterPlugin, Offer } from "../framework.ts";

/** Replicas the cluster must hold to be feasible: all of a gang, at least one otherwise (the rest may go elsewhere). */
export const replicasNeeded = (ctx: ClusterContext): number => (ctx.request.gang ? ctx.request.replicas : 1);

/** Full fit beats partial, then more slots (only matters when partial), then price, then model name. */
const better = (a: Offer, b: Offer, replicas: number): boolean => {
  const af = a.slots >= replicas;
  const bf = b.slots >= replicas;
  if (af !== bf) return af;
  if (!af && a.slots !== b.slots) return a.slots > b.slots;
  if (a.gpuSlots !== b.gpuSlots && a.slots === 0) return a.gpuSlots > b.gpuSlots;
  if (a.pricePerGpuHour !== b.pricePerGpuHour) return a.pricePerGpuHour < b.pricePerGpuHour;
  return (a.model ?? "") < (b.model ?? "");
};

/**
 * Per-node GPU fit: each replica needs its GPUs on one node, so 32 free GPUs spread 4 per node do not fit 4 × 8.
 * Counts slots per offered model and chooses the model the cluster would use.
 */
export const gpuFitFilter: FilterPlugin = {
  name: "gpu-fit",
  filter(ctx) {
    const req = ctx.request;
    let chosen: Offer | undefined;
    let largest = 0;
    let free = 0;
    let gpuSlots = 0;
    for (const o of ctx.offers) {
      countSlots(ctx.cluster, ctx.reservations, o, req);
      if (chosen === undefined || better(o, chosen, req.replicas)) chosen = o;
      largest = Math.max(largest, o.largestFreeBlock);
      free += o.freeGpus;
      gpuSlots = Math.max(gpuSlots, o.gpuSlots);
    }
    ctx.chosen = chosen;
    ctx.fitReplicas = Math.min(req.replicas, chosen?.slots ?? 0);
    const need = replicasNeeded(ctx);
    if (gpuSlots >= need) return undefined;
    const label = req.modelLabel;
    if (largest < req.gpus || need === 1) {
      const summary = `needs ${req.gpus} free ${label} on one node`;
      return {
        code: free >= need * req.gpus ? "gpu_fragmented" : "insufficient_gpu",
        message: `${summary}; largest free block is ${largest}`,
        plugin: "gpu-fit",
        summary,
      };
    }
    const summary = `needs ${need} × ${req.gpus} free ${label}`;
    return {
      code: free >= need * req.gpus ? "gpu_fragmented" : "insufficient_gpu",
      message: `${summary}, one block per node; room for ${gpuSlots} (${free} free, largest block ${largest})`,
      plugin: "gpu-fit",
      summary,
    };
  },
};
