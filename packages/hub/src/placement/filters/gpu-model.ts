import type { FilterPlugin, Offer } from "../framework.ts";

const newOffer = (model: string | undefined): Offer => ({
  model,
  pricePerGpuHour: 0,
  spot: false,
  gpuSlots: 0,
  slots: 0,
  cpuSlots: 0,
  memorySlots: 0,
  largestFreeBlock: 0,
  freeGpus: 0,
});

/**
 * Finds the GPU models the cluster has that the workload accepts (model list and minimum GPU memory) and makes one
 * offer per model. A GPU-less workload gets one offer on any node, at no GPU price.
 */
export const gpuModelFilter: FilterPlugin = {
  name: "gpu-model",
  filter(ctx) {
    const req = ctx.request;
    ctx.offers = [];
    if (req.gpus === 0) {
      ctx.offers.push(newOffer(undefined));
      return undefined;
    }
    for (const g of ctx.cluster.nodes) {
      const gpu = g.gpu;
      if (gpu === undefined || gpu.count === 0) continue;
      if (req.models.length > 0 && !req.models.includes(gpu.model)) continue;
      if (gpu.memoryGiB < req.minGpuMemoryGiB) continue;
      if (!ctx.offers.some((o) => o.model === gpu.model)) ctx.offers.push(newOffer(gpu.model));
    }
    if (ctx.offers.length > 0) return undefined;
    const summary =
      req.minGpuMemoryGiB > 0 ? `no ${req.modelLabel} with >=${req.minGpuMemoryGiB} GiB` : `no ${req.modelLabel} GPUs`;
    const has = ctx.cluster.nodes
      .flatMap((g) => (g.gpu === undefined || g.gpu.count === 0 ? [] : [`${g.gpu.model} ${g.gpu.memoryGiB} GiB`]))
      .filter((v, i, a) => a.indexOf(v) === i);
    const message = `${summary} (has ${has.length > 0 ? has.join(", ") : "no GPUs"})`;
    return { code: "no_matching_gpu", message, plugin: "gpu-model", summary };
  },
};
