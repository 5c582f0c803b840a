import type { ServingCluster } from "./fleet.ts";

/** Test builders shared by the autoscaler's tests. */

type OfferSpec = { kind: "owned" | "onDemand" | "spot"; price: number; free?: number; current?: number };

export const aCluster = (
  name: string,
  region: string,
  offers: OfferSpec[],
  over: Partial<Omit<ServingCluster, "offers">> = {},
): ServingCluster => ({
  name,
  region,
  tier: offers.some((o) => o.kind === "owned") ? (name.startsWith("edge") ? "edge" : "onprem") : "cloud",
  offers: offers.map((o) => ({
    kind: o.kind,
    pricePerReplicaHour: o.price,
    free: o.free ?? 50,
    current: o.current ?? 0,
  })),
  readyReplicas: offers.reduce((a, o) => a + (o.current ?? 0), 0),
  ...over,
});

/** RTTs (ms) from two user regions to the cluster regions the tests use. */
export const RTT = {
  "eu-west": { "eu-west-3": 6, "eu-central-1": 14, "europe-west4": 11, "us-east-1": 82 },
  "us-east": { "eu-west-3": 88, "eu-central-1": 95, "europe-west4": 90, "us-east-1": 7 },
};
