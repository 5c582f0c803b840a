import { type Manifest, type Placement, placementKey } from "@gantry/shared";
import { z } from "zod";
import { isDriverError, KubernetesDriverError } from "./errors.ts";
import type { KubeHttp } from "./http.ts";
import { hasStarted, immutableFields, recreateVerdict } from "./immutable.ts";
import type { Inventory } from "./inventory.ts";
import { collectionPath, type KindRegistry, objectPath, type ResourceKind } from "./kinds.ts";
import {
  decorate,
  LABEL_MANAGED_BY,
  LABEL_WORKLOAD,
  MANAGED_BY_VALUE,
  nameOf,
  OWNED_SELECTOR,
  ownerKeyOf,
} from "./manifest.ts";
import type { DriverLogger } from "./options.ts";
import { deleteAndWait, type RecreateTiming, waitUntilGone } from "./recreate.ts";
import { type RoutingApis, type RoutingConfig, routingFor } from "./routing.ts";
import { KubeWorkloadObject, ListEnvelope, ObjectMeta } from "./schemas.ts";

/** What reconcile learned that status reporting needs: refusals, apply errors, deletions. */
export interface ApplyState {
  desired: Map<string, Placement>;
  /** workload → why its placement could not be applied (reported as Failed). */
  failures: Map<string, string>;
  /** tenant/name → the placement whose objects Gantry deleted (reported as Deleted once). */
  deleted: Map<string, Pick<Placement, "uid" | "tenant" | "workload" | "generation">>;
  /**
   * workload → why its newest generation is not (yet) in the cluster although nothing failed: an immutable field
   * that may not be recreated, or a recreate waiting for the old object to go. Reported with what runs.
   */
  held: Map<string, string>;
  /** workload → the last generation applied here whole. */
  applied: Map<string, number>;
  /** workload → notes on what was not made for it (routing), reported with its status events. */
  notes: Map<string, string[]>;
}

export interface ApplierOptions {
  http: KubeHttp;
  kinds: KindRegistry;
  inventory: Inventory;
  logger: DriverLogger;
  fieldManager: string;
  namespaceFor: (tenant: string) => string;
  createNamespaces: boolean;
  pageSize: number;
  /** Delete-and-recreate waits (a Foreground deletion takes as long as the pods take to stop). */
  recreate: RecreateTiming;
  now: () => number;
  /** Routing objects for services (HTTPRoute, InferencePool), where the cluster has those APIs. */
  routing?: RoutingConfig | undefined;
}

interface DesiredObject {
  key: string;
  kind: ResourceKind;
  namespace: string | undefined;
  name: string;
  body: Record<string, unknown>;
}

interface OwnedObject {
  key: string;
  kind: ResourceKind;
  namespace: string | undefined;
  name: string;
  workload: string | undefined;
  /** tenant/name of the workload it belongs to. */
  owner: string | undefined;
  uid: string | undefined;
  /** Has a deletionTimestamp: applying to it would update an object that is going away. */
  deleting: boolean;
}

const MetaOnly = z.object({ metadata: ObjectMeta });

const keyOf = (k: ResourceKind, namespace: string | undefined, name: string): string =>
  `${k.apiVersion}|${k.kind}|${namespace ?? ""}|${name}`;

const describe = (o: { kind: ResourceKind; namespace: string | undefined; name: string }): string =>
  `${o.kind.apiVersion} ${o.kind.kind} ${o.namespace ? `${o.namespace}/` : ""}${o.name}`;

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** List every object of `kind` carrying Gantry's ownership label, across namespaces, page by page. */
export const listOwned = async (
  http: KubeHttp,
  kind: ResourceKind,
  pageSize: number,
  selector = OWNED_SELECTOR,
): Promise<unknown[]> => {
  const out: unknown[] = [];
  let cont: string | undefined;
  do {
    const page = ListEnvelope.parse(
      await http.request("GET", collectionPath(kind), {
        query: { labelSelector: selector, limit: pageSize, continue: cont },
      }),
    );
    out.push(...(page.items ?? []));
    cont = page.metadata.continue || undefined;
  } while (cont);
  return out;
};

/**
 * Converges the cluster on the desired placements with server-side apply, deletes what Gantry owns
 * and no longer wants, and refuses to touch anything it does not own.
 */
export class Applier {
  /** Kinds Gantry has applied, so their objects are found again for deletion even if not workload kinds. */
  private readonly appliedKinds = new Map<string, ResourceKind>();
  private readonly knownNamespaces = new Set<string>();
  readonly state: ApplyState = {
    desired: new Map(),
    failures: new Map(),
    deleted: new Map(),
    held: new Map(),
    applied: new Map(),
    notes: new Map(),
  };

  constructor(private readonly o: ApplierOptions) {}

  async reconcile(desired: readonly Placement[]): Promise<void> {
    const failures = new Map<string, string>();
    const held = new Map<string, string>();
    const wanted = new Map<string, { placement: Placement; objects: DesiredObject[] }>();
    const desiredKeys = new Set<string>();
    const notes = new Map<string, string[]>();
    const apis = await this.routingApis();

    for (const placement of desired) {
      const routing = this.o.routing ? routingFor(placement, apis, this.o.routing) : { manifests: [], notes: [] };
      if (routing.notes.length > 0) notes.set(placementKey(placement), routing.notes);
      const objects = await this.objectsFor(placement, routing.manifests, desiredKeys).catch((e: unknown) => {
        failures.set(placementKey(placement), messageOf(e));
        return [];
      });
      wanted.set(placementKey(placement), { placement, objects });
    }

    const { owned, complete } = await this.ownedObjects(apis);

    for (const { placement, objects } of wanted.values()) {
      if (failures.has(placementKey(placement))) continue;
      try {
        // Check every object first: a placement is applied whole or not at all.
        for (const obj of objects) await this.assertOwnable(obj, owned.get(obj.key), placement.workload);
        await this.ensureNamespaces(objects);
        const reasons: string[] = [];
        for (const obj of objects) {
          const reason = await this.applyOrRecreate(obj, placement, owned.get(obj.key));
          if (reason) reasons.push(reason);
        }
        if (reasons.length > 0) held.set(placementKey(placement), reasons.join("; "));
        else this.state.applied.set(placementKey(placement), placement.generation);
      } catch (e) {
        const message = messageOf(e);
        failures.set(placementKey(placement), message);
        this.o.logger.warn({ workload: placement.workload, err: message }, "placement not applied");
      }
    }

    for (const obj of owned.values()) {
      if (desiredKeys.has(obj.key)) continue;
      if (!complete.has(`${obj.kind.apiVersion}|${obj.kind.kind}`)) continue;
      await this.remove(obj);
    }

    this.state.desired = new Map(desired.map((p) => [placementKey(p), p]));
    this.state.failures = failures;
    for (const [workload, reason] of held) {
      if (this.state.held.get(workload) !== reason) this.o.logger.warn({ workload, reason }, "placement held back");
    }
    this.state.held = held;
    this.state.notes = notes;
    for (const workload of this.state.applied.keys())
      if (!this.state.desired.has(workload)) this.state.applied.delete(workload);
    for (const workload of this.state.desired.keys()) this.state.deleted.delete(workload);
  }

  /** Which routing APIs the cluster serves now (discovery, cached by the kind registry). */
  private async routingApis(): Promise<RoutingApis> {
    if (!this.o.routing) return { httpRoute: false, inferencePool: undefined };
    const k = this.o.kinds;
    const httpRoute = (await k.resolve("gateway.networking.k8s.io/v1", "HTTPRoute")) !== undefined;
    const inferencePool = (await k.resolve("inference.networking.k8s.io/v1", "InferencePool"))
      ? "inference.networking.k8s.io/v1"
      : (await k.resolve("inference.networking.x-k8s.io/v1alpha2", "InferencePool"))
        ? "inference.networking.x-k8s.io/v1alpha2"
        : undefined;
    return { httpRoute, inferencePool };
  }

  /** Decorated objects of one placement; throws (failing the placement) on a manifest we cannot apply. */
  private async objectsFor(
    placement: Placement,
    generated: readonly Manifest[],
    desiredKeys: Set<string>,
  ): Promise<DesiredObject[]> {
    const namespace = this.o.namespaceFor(placement.tenant);
    const gpuProducts = placement.gpuModel ? this.o.inventory.productsFor(placement.gpuModel) : [];
    const gpuNodes = placement.gpuModel ? this.o.inventory.nodesFor(placement.gpuModel) : [];
    const unseen = placement.gpuModel !== undefined && gpuProducts.length === 0 && gpuNodes.length === 0;
    const ctx = {
      namespace,
      // No node reports this model yet: select on the name as given, which is right when it is a raw product.
      gpuProducts: unseen && placement.gpuModel ? [placement.gpuModel] : gpuProducts,
      gpuNodes,
    };
    const out: DesiredObject[] = [];
    for (const [i, manifest] of [...placement.spec.template, ...generated].entries()) {
      const name = nameOf(manifest);
      if (!name) {
        throw new KubernetesDriverError(
          "k8s_invalid_manifest",
          `template[${i}] (${manifest.kind}) has no metadata.name`,
        );
      }
      const kind = await this.o.kinds.require(manifest.apiVersion, manifest.kind);
      const ns = kind.namespaced ? namespace : undefined;
      const key = keyOf(kind, ns, name);
      desiredKeys.add(key);
      out.push({ key, kind, namespace: ns, name, body: decorate(manifest, placement, ctx, kind.namespaced) });
    }
    return out;
  }

  /** Everything Gantry owns now, and which kinds were listed completely (only those may be pruned). */
  private async ownedObjects(apis: RoutingApis): Promise<{ owned: Map<string, OwnedObject>; complete: Set<string> }> {
    const kinds = new Map<string, ResourceKind>();
    for (const k of await this.o.kinds.installedWorkloadKinds()) kinds.set(`${k.apiVersion}|${k.kind}`, k);
    // Routing objects are found again after a restart too, so a deleted service's route is pruned.
    const routingKinds: [string, string][] = this.o.routing ? [["v1", "Service"]] : [];
    if (apis.httpRoute) routingKinds.push(["gateway.networking.k8s.io/v1", "HTTPRoute"]);
    if (apis.inferencePool) routingKinds.push([apis.inferencePool, "InferencePool"]);
    for (const [apiVersion, kind] of routingKinds) {
      const k = await this.o.kinds.resolve(apiVersion, kind);
      if (k) kinds.set(`${k.apiVersion}|${k.kind}`, k);
    }
    for (const [id, k] of this.appliedKinds) kinds.set(id, k);
    const owned = new Map<string, OwnedObject>();
    const complete = new Set<string>();
    for (const [id, kind] of kinds) {
      try {
        for (const item of await listOwned(this.o.http, kind, this.o.pageSize)) {
          const meta = MetaOnly.parse(item).metadata;
          const key = keyOf(kind, meta.namespace, meta.name);
          owned.set(key, {
            key,
            kind,
            namespace: meta.namespace,
            name: meta.name,
            workload: meta.labels?.[LABEL_WORKLOAD],
            owner: ownerKeyOf(meta.labels),
            uid: meta.uid,
            deleting: Boolean(meta.deletionTimestamp),
          });
        }
        complete.add(id);
      } catch (e) {
        // Without a full list we cannot tell what to delete; skip pruning this kind rather than guess.
        this.o.logger.warn({ kind: id, err: messageOf(e) }, "cannot list owned objects; not pruning this kind");
      }
    }
    return { owned, complete };
  }

  private async assertOwnable(obj: DesiredObject, owned: OwnedObject | undefined, workload: string): Promise<void> {
    let labels: Record<string, string> | undefined;
    if (owned) {
      labels = {
        [LABEL_MANAGED_BY]: MANAGED_BY_VALUE,
        ...(owned.workload ? { [LABEL_WORKLOAD]: owned.workload } : {}),
      };
    } else {
      try {
        const existing = MetaOnly.parse(
          await this.o.http.request("GET", objectPath(obj.kind, obj.namespace, obj.name)),
        );
        labels = existing.metadata.labels ?? {};
      } catch (e) {
        if (isDriverError(e, "k8s_not_found")) return;
        throw e;
      }
    }
    if (labels[LABEL_MANAGED_BY] !== MANAGED_BY_VALUE) {
      throw new KubernetesDriverError(
        "k8s_unowned_object",
        `refusing to modify ${describe(obj)}: it already exists and is not managed by Gantry (no label ${OWNED_SELECTOR})`,
      );
    }
    const other = labels[LABEL_WORKLOAD];
    if (other !== undefined && other !== workload) {
      throw new KubernetesDriverError(
        "k8s_unowned_object",
        `refusing to modify ${describe(obj)}: it belongs to Gantry workload ${other}`,
      );
    }
  }

  private async ensureNamespaces(objects: readonly DesiredObject[]): Promise<void> {
    for (const obj of objects) {
      const ns = obj.namespace;
      if (!ns || this.knownNamespaces.has(ns)) continue;
      try {
        await this.o.http.request("GET", `/api/v1/namespaces/${ns}`);
      } catch (e) {
        if (!isDriverError(e, "k8s_not_found")) throw e;
        if (!this.o.createNamespaces) {
          throw new KubernetesDriverError(
            "k8s_not_found",
            `namespace ${ns} does not exist and this agent may not create namespaces (namespaces.create is off)`,
            404,
          );
        }
        await this.o.http.request("POST", "/api/v1/namespaces", {
          body: {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: ns, labels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE } },
          },
          contentType: "application/json",
        });
        this.o.logger.info({ namespace: ns }, "created namespace");
      }
      this.knownNamespaces.add(ns);
    }
  }

  /**
   * Apply one object; when the API refuses because immutable fields changed, delete and recreate it where the
   * workload allows that. Resolves with why the object was held back at its old generation, or undefined once
   * the new one is applied.
   */
  private async applyOrRecreate(
    obj: DesiredObject,
    placement: Placement,
    owned: OwnedObject | undefined,
  ): Promise<string | undefined> {
    const deps = { http: this.o.http, now: this.o.now };
    if (owned?.deleting && owned.uid !== undefined) {
      const gone = await waitUntilGone(deps, obj, owned.uid, this.o.recreate);
      if (!gone) return `waiting for ${describe(obj)} to be deleted before applying generation ${placement.generation}`;
    }
    try {
      await this.apply(obj);
      return undefined;
    } catch (e) {
      const fields = immutableFields(e);
      if (!fields) throw e;
      const live = await this.live(obj);
      if (!live?.metadata.uid) {
        await this.apply(obj); // gone meanwhile: this apply creates it
        return undefined;
      }
      const what = `${fields.join(", ")} of ${describe(obj)} cannot change in place`;
      const started = hasStarted(live, this.o.inventory.workloadsWithPods().has(placementKey(placement)));
      const verdict = recreateVerdict(placement, started);
      if (!verdict.recreate) {
        return `generation ${placement.generation} not applied: ${what}; not recreated because ${verdict.reason}`;
      }
      this.o.logger.info({ object: describe(obj), fields, workload: placement.workload }, "recreating object");
      const gone = await deleteAndWait(deps, obj, live.metadata.uid, this.o.recreate);
      if (!gone) {
        return `generation ${placement.generation}: ${what}; recreating it, waiting for the old object to be deleted`;
      }
      await this.apply(obj);
      this.o.logger.info({ object: describe(obj), workload: placement.workload }, "recreated object");
      return undefined;
    }
  }

  /** The object as the API has it now, or undefined when it does not exist. */
  private async live(obj: DesiredObject): Promise<KubeWorkloadObject | undefined> {
    try {
      return KubeWorkloadObject.parse(await this.o.http.request("GET", objectPath(obj.kind, obj.namespace, obj.name)));
    } catch (e) {
      if (isDriverError(e, "k8s_not_found")) return undefined;
      throw e;
    }
  }

  private async apply(obj: DesiredObject): Promise<void> {
    await this.o.http.request("PATCH", objectPath(obj.kind, obj.namespace, obj.name), {
      query: { fieldManager: this.o.fieldManager, force: true },
      body: obj.body,
      // JSON is YAML, so the apply endpoint takes our JSON body as it is.
      contentType: "application/apply-patch+yaml",
    });
    this.appliedKinds.set(`${obj.kind.apiVersion}|${obj.kind.kind}`, obj.kind);
    this.o.logger.debug({ object: describe(obj) }, "applied");
  }

  private async remove(obj: OwnedObject): Promise<void> {
    try {
      // Background propagation: a Job's pods go with it (the API's default for Jobs is to orphan them).
      await this.o.http.request("DELETE", objectPath(obj.kind, obj.namespace, obj.name), {
        query: { propagationPolicy: "Background" },
      });
      this.o.logger.info({ object: describe(obj), workload: obj.workload }, "deleted object no longer desired");
      const previous = obj.owner ? this.state.desired.get(obj.owner) : undefined;
      if (obj.owner && previous) {
        this.state.deleted.set(obj.owner, {
          uid: previous.uid,
          tenant: previous.tenant,
          workload: previous.workload,
          generation: previous.generation,
        });
      }
    } catch (e) {
      if (isDriverError(e, "k8s_not_found")) return;
      this.o.logger.warn({ object: describe(obj), err: messageOf(e) }, "delete failed; will retry on next reconcile");
    }
  }
}
