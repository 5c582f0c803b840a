import { isDriverError, KubernetesDriverError } from "./errors.ts";
import type { KubeHttp } from "./http.ts";
import { ApiResourceList } from "./schemas.ts";

/** Where objects of one kind live in the API. */
export interface ResourceKind {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

/** Workload kinds Gantry knows how to place (a pod template to steer, replicas to set). */
export const WORKLOAD_KINDS: readonly ResourceKind[] = [
  { apiVersion: "batch/v1", kind: "Job", plural: "jobs", namespaced: true },
  { apiVersion: "apps/v1", kind: "Deployment", plural: "deployments", namespaced: true },
  { apiVersion: "apps/v1", kind: "StatefulSet", plural: "statefulsets", namespaced: true },
  { apiVersion: "jobset.x-k8s.io/v1alpha2", kind: "JobSet", plural: "jobsets", namespaced: true },
  { apiVersion: "leaderworkerset.x-k8s.io/v1", kind: "LeaderWorkerSet", plural: "leaderworkersets", namespaced: true },
  { apiVersion: "kubeflow.org/v1", kind: "PyTorchJob", plural: "pytorchjobs", namespaced: true },
  { apiVersion: "ray.io/v1", kind: "RayJob", plural: "rayjobs", namespaced: true },
];

/** Built into every cluster: no discovery needed. */
const BUILT_IN = new Set(["batch/v1", "apps/v1", "v1"]);

const groupPath = (apiVersion: string): string => (apiVersion === "v1" ? "/api/v1" : `/apis/${apiVersion}`);

/** Collection path of a kind, in a namespace or cluster-wide. */
export const collectionPath = (k: ResourceKind, namespace?: string): string =>
  k.namespaced && namespace
    ? `${groupPath(k.apiVersion)}/namespaces/${namespace}/${k.plural}`
    : `${groupPath(k.apiVersion)}/${k.plural}`;

export const objectPath = (k: ResourceKind, namespace: string | undefined, name: string): string =>
  `${collectionPath(k, namespace)}/${encodeURIComponent(name)}`;

/**
 * Resolves kinds to API paths through discovery, caching answers. A group/version that is not
 * installed (404) is remembered for `negativeTtlMs`, so a CRD installed later is picked up.
 */
export class KindRegistry {
  private readonly known = new Map<string, ResourceKind>();
  private readonly missing = new Map<string, number>();

  constructor(
    private readonly http: KubeHttp,
    private readonly now: () => number,
    private readonly negativeTtlMs = 60_000,
  ) {
    for (const k of WORKLOAD_KINDS) if (BUILT_IN.has(k.apiVersion)) this.known.set(`${k.apiVersion}|${k.kind}`, k);
    this.known.set("v1|Namespace", { apiVersion: "v1", kind: "Namespace", plural: "namespaces", namespaced: false });
  }

  /** The kind's API location, or undefined when its group/version is not served by this cluster. */
  async resolve(apiVersion: string, kind: string): Promise<ResourceKind | undefined> {
    const cached = this.known.get(`${apiVersion}|${kind}`);
    if (cached) return cached;
    const missingSince = this.missing.get(apiVersion);
    if (missingSince !== undefined && this.now() - missingSince < this.negativeTtlMs) return undefined;
    try {
      const doc = ApiResourceList.parse(await this.http.request("GET", groupPath(apiVersion)));
      this.missing.delete(apiVersion);
      for (const r of doc.resources) {
        if (r.name.includes("/")) continue; // subresources such as jobs/status
        this.known.set(`${apiVersion}|${r.kind}`, {
          apiVersion,
          kind: r.kind,
          plural: r.name,
          namespaced: r.namespaced,
        });
      }
    } catch (e) {
      if (!isDriverError(e, "k8s_not_found")) throw e;
      this.missing.set(apiVersion, this.now());
      return undefined;
    }
    return this.known.get(`${apiVersion}|${kind}`);
  }

  /** Like resolve, but an unknown kind is an error the placement's status should carry. */
  async require(apiVersion: string, kind: string): Promise<ResourceKind> {
    const k = await this.resolve(apiVersion, kind);
    if (!k) {
      throw new KubernetesDriverError(
        "k8s_unknown_kind",
        `${kind} (${apiVersion}) is not served by this cluster; is its CRD installed?`,
      );
    }
    return k;
  }

  /** The workload kinds this cluster serves, for listing what Gantry owns. */
  async installedWorkloadKinds(): Promise<ResourceKind[]> {
    const out: ResourceKind[] = [];
    for (const k of WORKLOAD_KINDS) {
      const resolved = await this.resolve(k.apiVersion, k.kind);
      if (resolved) out.push(resolved);
    }
    return out;
  }
}
