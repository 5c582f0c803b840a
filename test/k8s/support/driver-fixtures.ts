import { ClusterDescription, type Manifest, Placement, type TolerationInput } from "@gantry/shared";
import type { DriverLogger } from "../../../packages/agent/src/drivers/kubernetes/index.ts";

/** A logger that keeps lines for assertions instead of printing them. */
export const memoryLogger = (): DriverLogger & { lines: string[] } => {
  const lines: string[] = [];
  const log = (level: string) => (obj: object, msg?: string) => {
    lines.push(`${level} ${msg ?? ""} ${JSON.stringify(obj)}`);
  };
  return { lines, info: log("info"), warn: log("warn"), error: log("error"), debug: log("debug") };
};

export const aCluster = (name = "gke-eu") =>
  ClusterDescription.parse({
    name,
    tier: "cloud",
    provider: "gcp",
    region: "europe-west4",
    pricing: { gpuHour: { A100: 3.7, L4: 0.85, H100: 6.9 } },
  });

export const aJobManifest = (name: string, extra: Record<string, unknown> = {}): Manifest => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name },
  spec: {
    completions: 4,
    parallelism: 4,
    template: {
      spec: {
        restartPolicy: "Never",
        containers: [
          { name: "train", image: "ghcr.io/example/resnet:1.4", resources: { limits: { "nvidia.com/gpu": "4" } } },
        ],
      },
    },
    ...extra,
  },
});

export const aPlacement = (o: {
  workload: string;
  tenant?: string;
  replicas?: number;
  generation?: number;
  gpuModel?: string;
  template: Manifest[];
  tolerations?: TolerationInput[];
}): Placement =>
  Placement.parse({
    workload: o.workload,
    tenant: o.tenant ?? "vision",
    cluster: "gke-eu",
    replicas: o.replicas ?? 2,
    generation: o.generation ?? 1,
    decisionId: `dec-${o.workload}-${o.generation ?? 1}`,
    ...(o.gpuModel ? { gpuModel: o.gpuModel } : {}),
    spec: {
      type: "job",
      replicas: 4,
      resources: { gpu: { count: 4 } },
      placement: { tolerations: o.tolerations ?? [] },
      template: o.template,
    },
  });
