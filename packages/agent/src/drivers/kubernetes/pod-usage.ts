import { gpuRequest } from "./gpu.ts";
import { parseQuantity } from "./quantity.ts";

/**
 * What the inventory keeps of a pod, read straight off the raw JSON with typed guards instead of a
 * zod schema. Why: this runs for every pod in every list page and watch event (50,000 on a large
 * cluster), and a schema parse allocates a full copy of each pod only to drop it; here we allocate
 * only the result.
 */
export interface PodFacts {
  namespace: string;
  name: string;
  nodeName: string | undefined;
  phase: string;
  workload: string | undefined;
  gpus: number;
  cpu: number;
  memoryBytes: number;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const quantities = (v: unknown): Record<string, string> | undefined => {
  const o = obj(v);
  if (!o) return undefined;
  const out: Record<string, string> = {};
  for (const [k, q] of Object.entries(o)) if (typeof q === "string") out[k] = q;
  return out;
};

const containerRequests = (c: unknown) => {
  const resources = obj(obj(c)?.resources);
  const requests = quantities(resources?.requests);
  const limits = quantities(resources?.limits);
  return {
    gpus: gpuRequest({ ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) }),
    cpu: parseQuantity(requests?.cpu),
    memoryBytes: parseQuantity(requests?.memory),
  };
};

/** The pod's identity, placement and effective requests; undefined when it is not a pod-shaped object. */
const TENANT_LABEL = "gantry.dev/tenant";

export const podFacts = (raw: unknown, workloadLabel: string): PodFacts | undefined => {
  const pod = obj(raw);
  const meta = obj(pod?.metadata);
  const name = str(meta?.name);
  if (!meta || !name) return undefined;
  const spec = obj(pod?.spec);
  const facts: PodFacts = {
    namespace: str(meta.namespace) ?? "",
    name,
    nodeName: str(spec?.nodeName),
    phase: str(obj(pod?.status)?.phase) ?? "",
    // tenant/name: workload names are unique within a tenant only.
    workload: ((labels) => {
      const w = str(labels?.[workloadLabel]);
      const t = str(labels?.[TENANT_LABEL]);
      return w && t ? `${t}/${w}` : undefined;
    })(obj(meta.labels)),
    gpus: 0,
    cpu: 0,
    memoryBytes: 0,
  };
  // Effective request: the sum over containers, or the largest init container if that is larger.
  for (const c of Array.isArray(spec?.containers) ? spec.containers : []) {
    const r = containerRequests(c);
    facts.gpus += r.gpus;
    facts.cpu += r.cpu;
    facts.memoryBytes += r.memoryBytes;
  }
  for (const c of Array.isArray(spec?.initContainers) ? spec.initContainers : []) {
    const r = containerRequests(c);
    facts.gpus = Math.max(facts.gpus, r.gpus);
    facts.cpu = Math.max(facts.cpu, r.cpu);
    facts.memoryBytes = Math.max(facts.memoryBytes, r.memoryBytes);
  }
  return facts;
};
