import { parseQuantity, round2 } from "./quantity.ts";

/** GPU feature discovery labels (NVIDIA GFD) and the AMD node labeller's equivalent. */
export const GPU_PRODUCT_LABEL = "nvidia.com/gpu.product";
export const GPU_MEMORY_LABEL = "nvidia.com/gpu.memory";
export const GPU_COUNT_LABEL = "nvidia.com/gpu.count";
export const AMD_PRODUCT_LABEL = "amd.com/gpu.product-name";

/** Product of a node with GPUs but no product label (no GPU feature discovery). */
export const UNKNOWN_PRODUCT = "unknown";

const WHOLE_GPU_RESOURCES = ["nvidia.com/gpu", "amd.com/gpu"] as const;
const MIG_PREFIX = "nvidia.com/mig-";

/** Is this resource name a GPU (whole device or MIG slice)? */
export const isGpuResource = (name: string): boolean =>
  name === "nvidia.com/gpu" || name === "amd.com/gpu" || name.startsWith(MIG_PREFIX);

export interface NodeGpu {
  /** Raw product label (what a node selector must match). */
  product: string;
  /** Short model name as the fleet and prices use it (`A100`). */
  model: string;
  count: number;
  memoryGiB: number;
}

const VENDOR_PREFIX = /^(nvidia|tesla|amd|instinct)[-_ ]/i;

/**
 * The short model name for a product label. Prices in the cluster description are keyed by short
 * names (`A100`), GFD labels are long (`NVIDIA-A100-SXM4-80GB`): a token of the product that is a
 * known model wins, otherwise the product without its vendor prefix.
 */
export const modelName = (product: string, knownModels: readonly string[]): string => {
  const tokens = product.split(/[-_ ]/);
  for (const model of knownModels) {
    if (tokens.some((t) => t.toLowerCase() === model.toLowerCase())) return model;
  }
  let stripped = product;
  while (VENDOR_PREFIX.test(stripped)) stripped = stripped.replace(VENDOR_PREFIX, "");
  return stripped || product;
};

/**
 * What GPUs a node offers, from `status.allocatable` and GFD labels. Whole GPUs win; a node that only
 * exposes MIG slices reports its slices as devices (model `<product> MIG <profile>`, memory from the profile).
 */
export const nodeGpu = (
  allocatable: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
  knownModels: readonly string[],
): NodeGpu | undefined => {
  const alloc = allocatable ?? {};
  const lab = labels ?? {};
  const product = lab[GPU_PRODUCT_LABEL] ?? lab[AMD_PRODUCT_LABEL] ?? UNKNOWN_PRODUCT;
  const memoryMiB = Number(lab[GPU_MEMORY_LABEL] ?? "0");
  let whole = 0;
  for (const r of WHOLE_GPU_RESOURCES) whole += parseQuantity(alloc[r]);
  if (whole > 0) {
    return {
      product,
      model: modelName(product, knownModels),
      count: whole,
      memoryGiB: Number.isFinite(memoryMiB) ? round2(memoryMiB / 1024) : 0,
    };
  }
  let slices = 0;
  let profile = "";
  for (const [name, value] of Object.entries(alloc)) {
    if (!name.startsWith(MIG_PREFIX)) continue;
    const n = parseQuantity(value);
    if (n <= 0) continue;
    slices += n;
    profile = name.slice(MIG_PREFIX.length);
  }
  if (slices === 0) return undefined;
  // Profile names carry their memory: `1g.10gb`, `3g.40gb`.
  const gb = /\.(\d+)gb$/.exec(profile);
  return {
    product,
    model: `${modelName(product, knownModels)} MIG ${profile}`,
    count: slices,
    memoryGiB: gb ? Number(gb[1]) : 0,
  };
};

/** GPUs a pod asks for: requests, or limits (extended resources may be given as limits only). */
export const gpuRequest = (resources: { requests?: Record<string, string>; limits?: Record<string, string> } = {}) => {
  let total = 0;
  const names = new Set([...Object.keys(resources.requests ?? {}), ...Object.keys(resources.limits ?? {})]);
  for (const name of names) {
    if (!isGpuResource(name)) continue;
    total += parseQuantity(resources.requests?.[name] ?? resources.limits?.[name]);
  }
  return total;
};
