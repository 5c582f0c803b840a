/**
 * The state behind the fake API server: objects per resource, one global resourceVersion counter,
 * and a bounded history of changes that watches replay from. Compacting the history is how tests make
 * the server answer 410 Gone, as etcd compaction does on a real cluster.
 */

export type Obj = Record<string, unknown> & { metadata: Meta };
export interface Meta {
  name: string;
  namespace?: string;
  resourceVersion?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  [key: string]: unknown;
}

export interface Resource {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export type EventType = "ADDED" | "MODIFIED" | "DELETED";
export interface Change {
  rv: number;
  resource: string;
  type: EventType;
  object: Obj;
}

export const apiVersionOf = (r: Resource): string => (r.group ? `${r.group}/${r.version}` : r.version);
export const resourceId = (r: Resource): string => `${apiVersionOf(r)}/${r.plural}`;

export const CORE_RESOURCES: Resource[] = [
  { group: "", version: "v1", plural: "nodes", kind: "Node", namespaced: false },
  { group: "", version: "v1", plural: "pods", kind: "Pod", namespaced: true },
  { group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false },
  { group: "", version: "v1", plural: "events", kind: "Event", namespaced: true },
  { group: "", version: "v1", plural: "services", kind: "Service", namespaced: true },
  { group: "batch", version: "v1", plural: "jobs", kind: "Job", namespaced: true },
  { group: "apps", version: "v1", plural: "deployments", kind: "Deployment", namespaced: true },
  { group: "apps", version: "v1", plural: "statefulsets", kind: "StatefulSet", namespaced: true },
  { group: "coordination.k8s.io", version: "v1", plural: "leases", kind: "Lease", namespaced: true },
];

export const JOBSET_RESOURCE: Resource = {
  group: "jobset.x-k8s.io",
  version: "v1alpha2",
  plural: "jobsets",
  kind: "JobSet",
  namespaced: true,
};

/** Gateway API (standard channel): installed where a cluster has a Gateway controller. */
export const GATEWAY_RESOURCES: Resource[] = [
  { group: "gateway.networking.k8s.io", version: "v1", plural: "gateways", kind: "Gateway", namespaced: true },
  { group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes", kind: "HTTPRoute", namespaced: true },
];

/** Gateway API Inference Extension, GA (v1.0+). */
export const INFERENCE_POOL_V1: Resource = {
  group: "inference.networking.k8s.io",
  version: "v1",
  plural: "inferencepools",
  kind: "InferencePool",
  namespaced: true,
};

/** Gateway API Inference Extension before GA (v0.3 to v0.5). */
export const INFERENCE_POOL_V1ALPHA2: Resource = {
  group: "inference.networking.x-k8s.io",
  version: "v1alpha2",
  plural: "inferencepools",
  kind: "InferencePool",
  namespaced: true,
};

const keyOf = (namespace: string | undefined, name: string): string => `${namespace ?? ""}/${name}`;

/** `a=b,c!=d,e,!f` as the API accepts it (equality-based selectors only). */
export const matchesLabels = (labels: Record<string, string> | undefined, selector: string | null): boolean => {
  if (!selector) return true;
  const l = labels ?? {};
  return selector.split(",").every((term) => {
    const t = term.trim();
    if (!t) return true;
    if (t.includes("!=")) {
      const [k, v] = t.split("!=");
      return l[k ?? ""] !== v;
    }
    if (t.includes("=")) {
      const [k, v] = t.split(/==?/);
      return l[k ?? ""] === v;
    }
    if (t.startsWith("!")) return !(t.slice(1) in l);
    return t in l;
  });
};

const fieldValue = (obj: Obj, path: string): string => {
  let cur: unknown = obj;
  for (const part of path.split("."))
    cur = typeof cur === "object" && cur !== null ? (cur as Record<string, unknown>)[part] : undefined;
  return cur === undefined || cur === null ? "" : String(cur);
};

/** `involvedObject.name=x,spec.nodeName=y` (equality only, which is what the driver sends). */
export const matchesFields = (obj: Obj, selector: string | null): boolean => {
  if (!selector) return true;
  return selector.split(",").every((term) => {
    const neq = term.includes("!=");
    const [path, value] = term.split(neq ? "!=" : /==?/);
    const actual = fieldValue(obj, path ?? "");
    return neq ? actual !== value : actual === value;
  });
};

export class FakeStore {
  private readonly objects = new Map<string, Map<string, Obj>>();
  private history: Change[] = [];
  private listeners = new Set<(c: Change) => void>();
  private uid = 0;
  rv = 1;
  /** Watches from a resourceVersion below this get 410 Gone. */
  minRv = 1;

  constructor(
    readonly resources: Resource[],
    private readonly historyLimit: number,
  ) {
    for (const r of resources) this.objects.set(resourceId(r), new Map());
  }

  resource(id: string): Resource | undefined {
    return this.resources.find((r) => resourceId(r) === id);
  }

  private bucket(resource: string): Map<string, Obj> {
    const b = this.objects.get(resource);
    if (!b) throw new Error(`unknown resource ${resource}`);
    return b;
  }

  get(resource: string, namespace: string | undefined, name: string): Obj | undefined {
    return this.bucket(resource).get(keyOf(namespace, name));
  }

  private sorted = new Map<string, { rv: number; objects: Obj[] }>();

  /** Objects in key order, optionally in one namespace. Sorted once per resourceVersion: paging 50,000 pods must not sort 100 times. */
  list(resource: string, namespace?: string): Obj[] {
    let cached = this.sorted.get(resource);
    if (!cached || cached.rv !== this.rv) {
      const objects = [...this.bucket(resource).entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, o]) => o);
      cached = { rv: this.rv, objects };
      this.sorted.set(resource, cached);
    }
    return namespace === undefined ? cached.objects : cached.objects.filter((o) => o.metadata.namespace === namespace);
  }

  /** Create or replace an object; bumps the resourceVersion and records the change for watches. */
  put(resource: string, object: Obj, options: { record?: boolean } = {}): Obj {
    const b = this.bucket(resource);
    const key = keyOf(object.metadata.namespace, object.metadata.name);
    const existing = b.get(key);
    this.rv++;
    object.metadata.resourceVersion = String(this.rv);
    object.metadata.uid = existing?.metadata.uid ?? `uid-${++this.uid}`;
    object.metadata.creationTimestamp =
      existing?.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, "Z");
    b.set(key, object);
    if (options.record !== false) this.emit({ rv: this.rv, resource, type: existing ? "MODIFIED" : "ADDED", object });
    else this.minRv = this.rv; // unrecorded bulk loads: a watch from before them cannot be served
    return object;
  }

  delete(resource: string, namespace: string | undefined, name: string): Obj | undefined {
    const b = this.bucket(resource);
    const key = keyOf(namespace, name);
    const existing = b.get(key);
    if (!existing) return undefined;
    b.delete(key);
    this.rv++;
    const object = { ...existing, metadata: { ...existing.metadata, resourceVersion: String(this.rv) } };
    this.emit({ rv: this.rv, resource, type: "DELETED", object });
    return object;
  }

  private emit(change: Change): void {
    this.history.push(change);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      const last = dropped[dropped.length - 1];
      if (last) this.minRv = last.rv;
    }
    for (const l of this.listeners) l(change);
  }

  /** Changes after `rv`, or undefined when they are no longer kept (the caller answers 410). */
  since(rv: number): Change[] | undefined {
    if (rv < this.minRv) return undefined;
    return this.history.filter((c) => c.rv > rv);
  }

  subscribe(listener: (c: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forget all history, as etcd compaction does: every older resourceVersion becomes too old. */
  compact(): void {
    this.history = [];
    this.minRv = this.rv;
  }
}
