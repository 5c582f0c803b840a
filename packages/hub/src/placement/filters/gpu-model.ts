import {
  addOffer,
  type ClusterContext,
  type FilterPlugin,
  type PlanRequest,
  type Rejection,
  remember,
} from "../framework.ts";

const hasOffer = (ctx: ClusterContext, modelId: number): boolean => {
  for (let i = 0; i < ctx.offerCount; i++) if (ctx.offers[i]!.modelId === modelId) return true;
  return false;
};

const noMatch = (req: PlanRequest): Rejection => {
  const message =
    req.minGpuMemoryGiB > 0 ? `no ${req.modelLabel} with >=${req.minGpuMemoryGiB} GiB` : `no ${req.modelLabel} GPUs`;
  return { code: "no_matching_gpu", message, plugin: "gpu-model", summary: message };
};

/**
 * Finds the GPU models the cluster has that the workload accepts (model list and minimum GPU memory) and makes one
 * offer per model. A GPU-less workload gets one offer on any node, at no GPU price.
 */
export const gpuModelFilter: FilterPlugin = {
  name: "gpu-model",
  filter(ctx) {
    const req = ctx.request;
    if (req.gpus === 0) {
      addOffer(ctx, -1);
      return undefined;
    }
    const snap = ctx.snapshot;
    const end = snap.groupStart[ctx.index + 1]!;
    for (let g = snap.groupStart[ctx.index]!; g < end; g++) {
      const model = snap.groupModel[g]!;
      if (model < 0 || req.modelOk[model] !== 1 || snap.groupGpuMemory[g]! < req.minGpuMemoryGiB) continue;
      if (!hasOffer(ctx, model)) addOffer(ctx, model);
    }
    if (ctx.offerCount > 0) return undefined;
    // One sentence per decision, not per cluster: it names what the workload asked for, which is what to change.
    return req.memo.get("gpu-model") ?? remember(req, "gpu-model", noMatch(req));
  },
};
