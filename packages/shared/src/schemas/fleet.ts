import { z } from "zod";
import { FleetCluster } from "./cluster.ts";
import { Identifier } from "./common.ts";
import { Dataset } from "./dataset.ts";
import { boundedInt, boundedList, boundedNumber, LIMITS } from "./limits.ts";

/** Capacity promised by a decision but not yet visible in the cluster's reports. */
export const Reservation = z.strictObject({
  workload: Identifier,
  cluster: Identifier,
  /** Per node group or node name: GPUs, CPU and memory held on each listed node. */
  nodes: boundedList(
    z.strictObject({
      node: Identifier,
      gpus: boundedInt(LIMITS.gpusPerNode),
      cpu: boundedNumber(LIMITS.cpuCores).default(0),
      memoryGiB: boundedNumber(LIMITS.memoryGiB).default(0),
    }),
    LIMITS.nodeGroups,
  ),
});
export type Reservation = z.infer<typeof Reservation>;

/** The fleet file, and the snapshot the placement engine decides on. */
export const Fleet = z.strictObject({
  clusters: boundedList(FleetCluster, LIMITS.clusters).default([]),
  datasets: boundedList(Dataset, LIMITS.datasets).default([]),
  reservations: boundedList(Reservation, LIMITS.reservations).default([]),
  /**
   * Round trips in ms from user regions to cluster regions (`rtt: { eu-west: { eu-west-3: 6 } }`): a service's
   * replica serves a user region only where RTT plus its latency stays within the service's SLO.
   */
  rtt: z
    .record(z.string().min(1).max(63), z.record(z.string().min(1).max(63), z.number().nonnegative().max(10_000)))
    .optional(),
});
export type Fleet = z.infer<typeof Fleet>;
export type FleetInput = z.input<typeof Fleet>;
