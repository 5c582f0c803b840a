import { z } from "zod";
import { FleetCluster } from "./cluster.ts";
import { Dataset } from "./dataset.ts";

/** Capacity promised by a decision but not yet visible in the cluster's reports. */
export const Reservation = z.object({
  workload: z.string().min(1),
  cluster: z.string().min(1),
  /** Per node group or node name: GPUs, CPU and memory held on each listed node. */
  nodes: z.array(
    z.object({
      node: z.string().min(1),
      gpus: z.number().int().nonnegative(),
      cpu: z.number().nonnegative().default(0),
      memoryGiB: z.number().nonnegative().default(0),
    }),
  ),
});
export type Reservation = z.infer<typeof Reservation>;

/** The fleet file, and the snapshot the placement engine decides on. */
export const Fleet = z.object({
  clusters: z.array(FleetCluster).default([]),
  datasets: z.array(Dataset).default([]),
  reservations: z.array(Reservation).default([]),
});
export type Fleet = z.infer<typeof Fleet>;
export type FleetInput = z.input<typeof Fleet>;
