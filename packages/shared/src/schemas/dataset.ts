import { z } from "zod";

/** A dataset and where copies of it live: cluster names or region names (globs allowed, e.g. `eu-*`). */
export const Dataset = z.object({
  name: z.string().min(1),
  sizeGB: z.number().nonnegative(),
  locations: z.array(z.string().min(1)).default([]),
});
export type Dataset = z.infer<typeof Dataset>;
