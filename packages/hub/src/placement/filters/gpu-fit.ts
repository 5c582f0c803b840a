import { countSlots } from "../capacity.ts";
import type { ClusterContext, FilterPlugin, Offer, PlanRequest, Rejection } from "../framework.ts";
import { remember } from "../framework.ts";

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

const B16 = 65_536;

/**
 * Keyed by the numbers in the sentence, so clusters with the same free blocks share one rejection. A number, not a
 * string: building a string key per rejected cluster was a third of a 10,000-cluster decision's garbage.
 * The code (fragmented or not) is left out: within one decision it follows from `free` alone. `free` bounds the
 * other two (the largest block is part of it, and each GPU slot holds `req.gpus` ≥ 1 of its GPUs; a GPU-less
 * workload is rejected here only without a usable node, with 0 slots), so `free < B16` keeps all three in their own
 * 16 bits.
 */
const fitKey = (largest: number, slots: number, free: number): number | string =>
  free < B16 ? (largest * B16 + slots) * B16 + free : `fit:${largest}:${slots}:${free}`;

const noFit = (
  req: PlanRequest,
  code: "gpu_fragmented" | "insufficient_gpu",
  need: number,
  largest: number,
  gpuSlots: number,
  free: number,
): Rejection => {
  const label = req.modelLabel;
  if (largest < req.gpus || need === 1) {
    const summary = `needs ${req.gpus} free ${label} on one node`;
    return { code, message: `${summary}; largest free block is ${largest}`, plugin: "gpu-fit", summary };
  }
  const summary = `needs ${need} × ${req.gpus} free ${label}`;
  const message = `${summary}, one block per node; room for ${gpuSlots} (${free} free, largest block ${largest})`;
  return { code, message, plugin: "gpu-fit", summary };
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
    for (let i = 0; i < ctx.offerCount; i++) {
      const o = ctx.offers[i]!;
      countSlots(ctx.snapshot, ctx.index, ctx.reservations, o, req);
      if (chosen === undefined || better(o, chosen, req.replicas)) chosen = o;
      largest = Math.max(largest, o.largestFreeBlock);
      free += o.freeGpus;
      gpuSlots = Math.max(gpuSlots, o.gpuSlots);
    }
    ctx.chosen = chosen;
    ctx.fitReplicas = Math.min(req.replicas, chosen?.slots ?? 0);
    const need = replicasNeeded(ctx);
    if (gpuSlots >= need) return undefined;
    const code = free >= need * req.gpus ? "gpu_fragmented" : "insufficient_gpu";
    const key = fitKey(largest, gpuSlots, free);
    return req.memo.get(key) ?? remember(req, key, noFit(req, code, need, largest, gpuSlots, free));
  },
};
