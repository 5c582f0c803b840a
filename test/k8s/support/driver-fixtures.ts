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
  type?: "job" | "service";
  restartable?: boolean;
}): Placement =>
  Placement.parse({
    uid: `uid-${o.tenant ?? "vision"}-${o.workload}`,
    workload: o.workload,
    tenant: o.tenant ?? "vision",
    cluster: "gke-eu",
    replicas: o.replicas ?? 2,
    generation: o.generation ?? 1,
    decisionId: `dec-${o.workload}-${o.generation ?? 1}`,
    ...(o.gpuModel ? { gpuModel: o.gpuModel } : {}),
    spec: {
      type: o.type ?? "job",
      restartable: o.restartable ?? false,
      replicas: 4,
      resources: { gpu: { count: 4 } },
      placement: { tolerations: o.tolerations ?? [] },
      template: o.template,
    },
  });

/** A model server Deployment as a Gantry service's template carries it (vLLM's OpenAI server on 8000). */
export const aDeploymentManifest = (name: string, extra: Record<string, unknown> = {}): Manifest => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        containers: [
          {
            name: "vllm",
            image: "vllm/vllm-openai:v0.8.5",
            args: ["--model", "meta-llama/Llama-3.1-8B-Instruct"],
            ports: [{ name: "http", containerPort: 8000 }],
            resources: { limits: { "nvidia.com/gpu": "1" } },
          },
        ],
      },
    },
    ...extra,
  },
});

export const aStatefulSetManifest = (name: string, extra: Record<string, unknown> = {}): Manifest => ({
  apiVersion: "apps/v1",
  kind: "StatefulSet",
  metadata: { name },
  spec: {
    serviceName: name,
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: "tgi", image: "ghcr.io/huggingface/text-generation-inference:3.3.4" }] },
    },
    volumeClaimTemplates: [
      {
        metadata: { name: "cache" },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "100Gi" } } },
      },
    ],
    ...extra,
  },
});
