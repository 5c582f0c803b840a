import type { Manifest, Placement } from "@gantry/shared";
import { containerPorts, LABEL_MANAGED_BY, LABEL_WORKLOAD, MANAGED_BY_VALUE } from "./manifest.ts";

/**
 * The routing objects a Gantry service gets in a cluster that has the APIs for them: a Gateway API
 * `HTTPRoute` attached to the cluster's Gateway, and, with the Gateway API Inference Extension, an
 * `InferencePool` of the service's pods that the route sends to (its endpoint picker then chooses a
 * replica by load). Without an InferencePool the route sends to the service's Service: the template's
 * own, or one the agent adds. Pure: which APIs are installed is the caller's to find out.
 */

/** Per cluster: how its services are reached. Placeholders `{workload}` and `{tenant}` in the templates. */
export interface RoutingConfig {
  /** The Gateway routes attach to. Without it no HTTPRoute is made (it would attach to nothing). */
  gateway?: { name: string; namespace?: string | undefined; sectionName?: string | undefined } | undefined;
  /** Host name template, e.g. `{workload}.{tenant}.llm.example.com`. */
  hostname?: string | undefined;
  /** Path prefix template; default `/{tenant}/{workload}` without a hostname, `/` with one. Rewritten to `/`. */
  pathPrefix?: string | undefined;
  /** The model server's port when neither a Service nor a container port in the template names one. */
  port?: number | undefined;
  /** With the InferencePool API installed: the endpoint picker each pool uses (name is a template). */
  inferencePool?: { endpointPicker: { name: string; port: number; failureMode: "FailOpen" | "FailClose" } } | undefined;
}

/** The routing API versions this cluster serves (from discovery). */
export interface RoutingApis {
  httpRoute: boolean;
  /** `inference.networking.k8s.io/v1` (GA) or `inference.networking.x-k8s.io/v1alpha2`. */
  inferencePool: "inference.networking.k8s.io/v1" | "inference.networking.x-k8s.io/v1alpha2" | undefined;
}

export interface RoutingPlan {
  manifests: Manifest[];
  /** Why something was not made, for the placement's status. */
  notes: string[];
}

const fill = (template: string, p: Placement): string =>
  template.replaceAll("{workload}", p.workload).replaceAll("{tenant}", p.tenant);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The first Service of the template and its first port. */
const templateService = (template: readonly Manifest[]): { name: string; port: number } | undefined => {
  for (const m of template) {
    if (m.apiVersion !== "v1" || m.kind !== "Service") continue;
    const meta = (m as Json).metadata;
    const spec = (m as Json).spec;
    const name = isObject(meta) && typeof meta.name === "string" ? meta.name : undefined;
    const ports = isObject(spec) && Array.isArray(spec.ports) ? spec.ports.filter(isObject) : [];
    const port = ports[0]?.port;
    if (name && typeof port === "number") return { name, port };
  }
  return undefined;
};

/** The model server's port: a container port named `http`, else the first one, else the configured one. */
const servingPort = (template: readonly Manifest[], config: RoutingConfig): number | undefined => {
  const ports = template.flatMap(containerPorts);
  return ports.find((p) => p.name === "http")?.containerPort ?? ports[0]?.containerPort ?? config.port;
};

/** The labels every pod of the workload carries (the driver puts them on each pod template). */
const podSelector = (p: Placement): Record<string, string> => ({
  [LABEL_WORKLOAD]: p.workload,
  [LABEL_MANAGED_BY]: MANAGED_BY_VALUE,
});

const inferencePool = (
  p: Placement,
  version: NonNullable<RoutingApis["inferencePool"]>,
  port: number,
  picker: NonNullable<RoutingConfig["inferencePool"]>["endpointPicker"],
): Manifest => {
  const name = fill(picker.name, p);
  const spec =
    version === "inference.networking.k8s.io/v1"
      ? {
          selector: { matchLabels: podSelector(p) },
          targetPorts: [{ number: port }],
          endpointPickerRef: { kind: "Service", name, port: { number: picker.port }, failureMode: picker.failureMode },
        }
      : {
          selector: podSelector(p),
          targetPortNumber: port,
          extensionRef: { kind: "Service", name, portNumber: picker.port, failureMode: picker.failureMode },
        };
  return { apiVersion: version, kind: "InferencePool", metadata: { name: p.workload }, spec };
};

const httpRoute = (
  p: Placement,
  config: RoutingConfig,
  gateway: NonNullable<RoutingConfig["gateway"]>,
  backend: Json,
): Manifest => {
  const hostname = config.hostname ? fill(config.hostname, p) : undefined;
  const prefix = fill(config.pathPrefix ?? (hostname ? "/" : "/{tenant}/{workload}"), p);
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: p.workload },
    spec: {
      parentRefs: [
        {
          group: "gateway.networking.k8s.io",
          kind: "Gateway",
          name: gateway.name,
          ...(gateway.namespace ? { namespace: gateway.namespace } : {}),
          ...(gateway.sectionName ? { sectionName: gateway.sectionName } : {}),
        },
      ],
      ...(hostname ? { hostnames: [hostname] } : {}),
      rules: [
        {
          matches: [{ path: { type: "PathPrefix", value: prefix } }],
          // The model server serves /v1/completions, not /{tenant}/{workload}/v1/completions.
          ...(prefix === "/"
            ? {}
            : {
                filters: [
                  { type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } },
                ],
              }),
          backendRefs: [backend],
        },
      ],
    },
  };
};

/** The routing objects of one placement in a cluster with `apis`; none for jobs or an unconfigured cluster. */
export const routingFor = (p: Placement, apis: RoutingApis, config: RoutingConfig): RoutingPlan => {
  const plan: RoutingPlan = { manifests: [], notes: [] };
  if (p.spec.type !== "service") return plan;
  const wantPool = apis.inferencePool !== undefined && config.inferencePool !== undefined;
  const wantRoute = apis.httpRoute && config.gateway !== undefined;
  if (!wantPool && !wantRoute) return plan;
  const own = templateService(p.spec.template);
  const port = servingPort(p.spec.template, config);
  let backend: Json | undefined;
  if (wantPool && apis.inferencePool && config.inferencePool) {
    if (port === undefined)
      plan.notes.push("routing: no InferencePool: the template names no container port and none is configured");
    else {
      plan.manifests.push(inferencePool(p, apis.inferencePool, port, config.inferencePool.endpointPicker));
      backend = { group: apis.inferencePool.split("/")[0], kind: "InferencePool", name: p.workload };
    }
  }
  if (!backend && own) backend = { kind: "Service", name: own.name, port: own.port };
  if (!backend && wantRoute) {
    if (port === undefined) {
      plan.notes.push(
        "routing: no HTTPRoute: the template has no Service and names no container port, and none is configured",
      );
    } else {
      plan.manifests.push({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: p.workload },
        spec: { selector: podSelector(p), ports: [{ name: "http", port, targetPort: port, protocol: "TCP" }] },
      });
      backend = { kind: "Service", name: p.workload, port };
    }
  }
  if (wantRoute && backend && config.gateway) plan.manifests.push(httpRoute(p, config, config.gateway, backend));
  return plan;
};
