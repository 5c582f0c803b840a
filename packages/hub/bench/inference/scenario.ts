/**
 * The inference benchmark's world: a mixed fleet (on-prem in Frankfurt, an edge site in Paris, GCP Europe and AWS
 * US East, each cloud with on-demand and spot), RTTs from the two user regions, the shipped service
 * (`examples/inference/service.yaml`) and the shipped day of load (`examples/inference/trace.yaml`).
 *
 * Prices are USD per replica-hour of one L4 (+4 vCPU, 16 GiB): cloud on-demand in the range of public list prices
 * for a one-L4 instance, spot at 40–45 % of it; owned capacity at an amortised cost (purchase over 3 years, power,
 * space, operations), the edge dearer than the data centre. They are the benchmark's inputs, not quotes.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { load } from "@gantry/agent";
import { AutoscalingSpec, parseDocument, parseWith, ServingSpec, Workload } from "@gantry/shared";
import { z } from "zod";
import type { CapacityKind, RttTable } from "../../src/autoscaler/index.ts";

export interface SimOffer {
  kind: CapacityKind;
  pricePerReplicaHour: number;
  /** Replicas of this service the offer can hold. */
  capacity: number;
}

export interface SimCluster {
  name: string;
  region: string;
  tier: "onprem" | "edge" | "cloud";
  offers: SimOffer[];
  /** Seconds from placing a replica to it serving (image pull, weights load). */
  coldStartSeconds: number;
  /** Warning a spot replica gets before it is reclaimed (AWS: 2 minutes; GCP: 30 s). */
  spotNoticeSeconds?: number;
}

export const FLEET: SimCluster[] = [
  {
    name: "onprem-fra",
    region: "eu-central-1",
    tier: "onprem",
    offers: [{ kind: "owned", pricePerReplicaHour: 0.3, capacity: 8 }],
    coldStartSeconds: 20,
  },
  {
    name: "edge-paris",
    region: "eu-west-3",
    tier: "edge",
    offers: [{ kind: "owned", pricePerReplicaHour: 0.38, capacity: 4 }],
    coldStartSeconds: 25,
  },
  {
    name: "gcp-europe-west4",
    region: "europe-west4",
    tier: "cloud",
    offers: [
      { kind: "onDemand", pricePerReplicaHour: 0.71, capacity: 48 },
      { kind: "spot", pricePerReplicaHour: 0.29, capacity: 48 },
    ],
    coldStartSeconds: 45,
    spotNoticeSeconds: 30,
  },
  {
    name: "aws-us-east-1",
    region: "us-east-1",
    tier: "cloud",
    offers: [
      { kind: "onDemand", pricePerReplicaHour: 0.8, capacity: 48 },
      { kind: "spot", pricePerReplicaHour: 0.36, capacity: 48 },
    ],
    coldStartSeconds: 45,
    spotNoticeSeconds: 120,
  },
];

/** The same clouds with on-demand capacity only: what "all on-demand" buys. */
export const ON_DEMAND_FLEET: SimCluster[] = FLEET.filter((c) => c.tier === "cloud").map((c) => ({
  ...c,
  offers: c.offers.filter((o) => o.kind === "onDemand"),
}));

/** Round trips (ms) from user regions to cluster regions: typical public-internet figures. */
export const RTT: RttTable = {
  "eu-west": { "eu-west-3": 6, "eu-central-1": 14, "europe-west4": 11, "us-east-1": 82 },
  "us-east": { "eu-west-3": 88, "eu-central-1": 95, "europe-west4": 90, "us-east-1": 7 },
};

/** A replica's behaviour in the simulation (its μ is the service's `replicaRequestsPerSecond`). */
export const TOKENS_PER_REQUEST = 250;
export const TIMEOUT_SECONDS = 30;
/** Mean life of a spot replica before the provider reclaims it. */
export const SPOT_MEAN_LIFETIME_SECONDS = 3 * 3600;

const example = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`../../../../examples/inference/${name}`, import.meta.url)), "utf8");

/** The parts of the example service the benchmark reads: the workload, its autoscaling and serving specs. */
const ServiceFile = z.looseObject({
  spec: z.looseObject({ autoscaling: z.unknown(), serving: z.unknown() }),
});

export interface Scenario {
  workload: Workload;
  autoscaling: AutoscalingSpec;
  serving: ServingSpec;
  trace: load.LoadTrace;
  model: load.ServiceModel;
}

/** Load the shipped example service and trace; `compress` > 1 replays the day that many times faster. */
export const loadScenario = (compress = 1): Scenario => {
  const doc = parseDocument(example("service.yaml"), "examples/inference/service.yaml");
  const file = parseWith(ServiceFile, doc, "examples/inference/service.yaml");
  const autoscaling = parseWith(AutoscalingSpec, file.spec.autoscaling, "spec.autoscaling");
  const serving = parseWith(ServingSpec, file.spec.serving, "spec.serving");
  const trace = compressed(load.parseLoadTrace(example("trace.yaml"), "examples/inference/trace.yaml"), compress);
  const mu = serving.replicaRequestsPerSecond;
  if (mu === undefined)
    throw new Error("examples/inference/service.yaml: spec.serving.replicaRequestsPerSecond is required");
  const model = load.ServiceModel.parse({
    replicaRequestsPerSecond: mu,
    tokensPerRequest: TOKENS_PER_REQUEST,
    coldStartSeconds: autoscaling.coldStartSeconds,
    timeoutSeconds: TIMEOUT_SECONDS,
  });
  return { workload: parseWith(Workload, doc, "examples/inference/service.yaml"), autoscaling, serving, trace, model };
};

const compressed = (trace: load.LoadTrace, k: number): load.LoadTrace => {
  if (k === 1 || trace.kind !== "diurnal") return trace;
  return {
    ...trace,
    periodSeconds: trace.periodSeconds / k,
    peaks: trace.peaks.map((p) => ({ ...p, atSeconds: p.atSeconds / k, widthSeconds: p.widthSeconds / k })),
    // The spike keeps its length: compressing it would only test a shorter surge.
    spikes: trace.spikes.map((s) => ({ ...s, atSeconds: s.atSeconds / k })),
  };
};
