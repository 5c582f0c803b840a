import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as apps from "kubernetes-models/apps/v1";
import * as batch from "kubernetes-models/batch/v1";
import * as coordination from "kubernetes-models/coordination.k8s.io/v1";
import * as policy from "kubernetes-models/policy/v1";
import * as rbac from "kubernetes-models/rbac.authorization.k8s.io/v1";
import * as core from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { KubernetesDriverConfig } from "../../packages/agent/src/drivers/kubernetes/index.ts";
import { initNatsAuthority } from "../../packages/hub/src/cli/commands/nats.ts";
import { type HelmContext, renderTemplate, UnsupportedTemplate } from "./support/helm-lite.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DEPLOY = join(ROOT, "deploy");
const CHART = join(DEPLOY, "helm/gantry");

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

/** The Kubernetes OpenAPI schemas, compiled, as the kubernetes-models package ships them (offline). */
// Constructor parameters differ per model (some require fields); parsed YAML goes in and validate() judges it.
type Model = new (...args: never[]) => { validate(): void };
const model = (apiVersion: string, kind: string, ctor: Model) => [`${apiVersion}|${kind}`, ctor] as const;
const CONSTRUCTORS = new Map([
  model("v1", "Namespace", core.Namespace),
  model("v1", "ServiceAccount", core.ServiceAccount),
  model("v1", "ConfigMap", core.ConfigMap),
  model("v1", "Service", core.Service),
  model("apps/v1", "Deployment", apps.Deployment),
  model("apps/v1", "DaemonSet", apps.DaemonSet),
  model("apps/v1", "StatefulSet", apps.StatefulSet),
  model("batch/v1", "Job", batch.Job),
  model("coordination.k8s.io/v1", "Lease", coordination.Lease),
  model("policy/v1", "PodDisruptionBudget", policy.PodDisruptionBudget),
  model("rbac.authorization.k8s.io/v1", "ClusterRole", rbac.ClusterRole),
  model("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", rbac.ClusterRoleBinding),
  model("rbac.authorization.k8s.io/v1", "Role", rbac.Role),
  model("rbac.authorization.k8s.io/v1", "RoleBinding", rbac.RoleBinding),
]);

const validate = (o: K8sObject): void => {
  const Ctor = CONSTRUCTORS.get(`${o.apiVersion}|${o.kind}`);
  if (!Ctor) throw new Error(`no schema for ${o.apiVersion} ${o.kind}: add it to the test`);
  try {
    (Reflect.construct(Ctor, [o]) as { validate(): void }).validate();
  } catch (e) {
    throw new Error(`${o.kind}/${o.metadata.name} is invalid: ${e instanceof Error ? e.message : String(e)}`);
  }
};

const docs = (text: string): K8sObject[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);

const ids = (objects: K8sObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();

const has = (cmd: string): boolean => spawnSync(cmd, ["version", "--client"], { encoding: "utf8" }).status === 0;
const KUBECTL = has("kubectl");
const HELM = spawnSync("helm", ["version"], { encoding: "utf8" }).status === 0;

const kustomize = (dir: string): K8sObject[] => {
  const r = spawnSync("kubectl", ["kustomize", join(DEPLOY, "kustomize", dir)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr}`);
  return docs(r.stdout);
};

/** The base's objects as written (no kubectl needed). */
const rawBase = (): K8sObject[] => {
  const k = parseYaml(readFileSync(join(DEPLOY, "kustomize/base/kustomization.yaml"), "utf8")) as {
    resources: string[];
  };
  return k.resources.flatMap((f) => docs(readFileSync(join(DEPLOY, "kustomize/base", f), "utf8")));
};

const helmValues = (): Record<string, unknown> =>
  parseYaml(readFileSync(join(CHART, "values.yaml"), "utf8")) as Record<string, unknown>;

type Values = Record<string, unknown>;
const isMap = (v: unknown): v is Values => typeof v === "object" && v !== null && !Array.isArray(v);
const merge = (a: Values, b: Values): Values =>
  Object.fromEntries(
    [...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => {
      const x = a[k];
      const y = b[k];
      return [k, isMap(x) && isMap(y) ? merge(x, y) : y === undefined ? x : y];
    }),
  );
/** `{ hub: { podDisruptionBudget: { enabled: false } } }` → `hub.podDisruptionBudget.enabled=false`, for --set. */
const setFlags = (v: Values, prefix = ""): string[] =>
  Object.entries(v).flatMap(([k, x]) =>
    isMap(x) ? setFlags(x, `${prefix}${k}.`) : ["--set", `${prefix}${k}=${String(x)}`],
  );

/** Render the chart with helm when it is installed, else with the subset renderer; `overrides` as `--set` would. */
const renderChart = (overrides: Values = {}): K8sObject[] => {
  if (HELM) {
    const r = spawnSync("helm", ["template", "gantry", CHART, "--namespace", "gantry-system", ...setFlags(overrides)], {
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
    return docs(r.stdout);
  }
  const ctx: HelmContext = {
    Values: merge(helmValues(), overrides),
    Release: { Namespace: "gantry-system", Name: "gantry" },
    Chart: { AppVersion: "0.1.0", Name: "gantry" },
  };
  const dir = join(CHART, "templates");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .flatMap((f) => docs(renderTemplate(readFileSync(join(dir, f), "utf8"), ctx)));
};

/** deploy/nats's objects as written. */
const rawNats = (): K8sObject[] => {
  const k = parseYaml(readFileSync(join(DEPLOY, "nats/kustomization.yaml"), "utf8")) as { resources: string[] };
  return k.resources.flatMap((f) => docs(readFileSync(join(DEPLOY, "nats", f), "utf8")));
};
/** Every string in the objects, keys and values, to look for what a renderer left behind. */
const strings = (x: unknown): string[] =>
  typeof x === "string"
    ? [x]
    : Array.isArray(x)
      ? x.flatMap(strings)
      : x !== null && typeof x === "object"
        ? Object.entries(x).flatMap(([k, v]) => [k, ...strings(v)])
        : [];

const noWildcards = (objects: K8sObject[]): void => {
  for (const o of objects.filter((x) => x.kind === "ClusterRole" || x.kind === "Role")) {
    const rules = (o.rules ?? []) as Record<string, string[] | undefined>[];
    expect(rules.length, `${o.kind}/${o.metadata.name} has rules`).toBeGreaterThan(0);
    for (const rule of rules) {
      for (const field of ["apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"]) {
        expect(rule[field] ?? [], `${o.kind}/${o.metadata.name} ${field}`).not.toContain("*");
      }
    }
  }
};

interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports?: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
}
interface Volume {
  name: string;
  emptyDir?: unknown;
  secret?: { secretName: string; items?: { key: string; path: string }[] };
}
interface Term {
  topologyKey: string;
  labelSelector: { matchLabels: Record<string, string> };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  affinity?: {
    podAntiAffinity?: {
      preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; podAffinityTerm: Term }[];
      requiredDuringSchedulingIgnoredDuringExecution?: Term[];
    };
  };
}
interface Workload extends K8sObject {
  spec: {
    replicas?: number;
    strategy?: { rollingUpdate?: { maxUnavailable?: number; maxSurge?: number } };
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    volumeClaimTemplates?: { metadata: { name: string } }[];
  };
}
interface Pdb extends K8sObject {
  spec: { minAvailable?: number; selector: { matchLabels: Record<string, string> } };
}

const find = <T extends K8sObject>(objects: K8sObject[], kind: string, name: string): T => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind}/${name} among ${ids(objects).join(", ")}`);
  return o as T;
};
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);
const envOf = (c: Container | undefined, name: string) => c?.env?.find((e) => e.name === name);
/** The volume mounted at the folder holding `path` (the longest mount path that contains it). */
const mountFor = (spec: PodSpec, c: Container, path: string) => {
  const m = (c.volumeMounts ?? [])
    .filter((v) => path.startsWith(`${v.mountPath}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  return m && { mount: m, volume: spec.volumes?.find((v) => v.name === m.name) };
};

/** What an HA hub needs, whichever renderer made the objects. */
const checkHaHub = (objects: K8sObject[], replicas = 2) => {
  const hub = find<Workload>(objects, "Deployment", "gantry-hub");
  const pod = hub.spec.template;
  expect(hub.spec.replicas).toBe(replicas);
  const pdb = find<Pdb>(objects, "PodDisruptionBudget", "gantry-hub");
  expect(pdb.spec.minAvailable).toBe(1);
  // The budget covers the hub's pods and nothing else, and still allows a drain (minAvailable below replicas).
  expect(matches(pdb.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
  expect(pdb.spec.minAvailable ?? 0).toBeLessThan(replicas);
  const c = pod.spec.containers.find((x) => x.name === "hub");
  expect(c?.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "http" });
  expect(c?.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "http" });
  expect(c?.startupProbe?.httpGet).toEqual({ path: "/healthz", port: "http" });
  expect(c?.ports?.map((p) => p.name)).toContain("http");
  // Each replica is its own holder in the leader lease.
  expect(envOf(c, "GANTRY_HUB_ID")?.valueFrom?.fieldRef?.fieldPath).toBe("metadata.name");
  // The NATS authority: copied from its Secret into a writable folder the hub is pointed at.
  const authDir = envOf(c, "GANTRY_NATS_AUTH_DIR")?.value ?? "";
  const at = mountFor(pod.spec, c!, `${authDir}/nats-authority.json`);
  expect(at?.volume?.emptyDir).toBeDefined();
  const init = pod.spec.initContainers?.find((x) => x.name === "nats-authority");
  expect(init?.volumeMounts?.map((m) => m.name)).toContain(at?.mount.name);
  const source = init?.volumeMounts
    ?.map((m) => pod.spec.volumes?.find((v) => v.name === m.name))
    .find((v) => v?.secret !== undefined);
  expect(source?.secret?.secretName).toBe("gantry-nats-authority");
  expect(init?.command?.join(" ")).toContain(`${authDir}/`);
  return { hub, pod };
};

describe("deploy/ manifests", () => {
  it("renders with helm, or with a subset renderer that refuses any template action it does not implement", () => {
    process.stdout.write(
      `deploy tests: kubectl ${KUBECTL ? "present: kustomize overlays are rendered and checked" : "NOT installed: kustomize overlays were NOT rendered, only the raw base files are checked"}; ` +
        `helm ${HELM ? "present: the chart is rendered with `helm template`" : "NOT installed (no Debian package here): the chart is rendered with test/k8s/support/helm-lite.ts, which supports only the template subset the chart uses"}\n`,
    );
    const ctx: HelmContext = {
      Values: { a: { b: 2 } },
      Release: { Namespace: "ns", Name: "r" },
      Chart: { AppVersion: "0", Name: "c" },
    };
    expect(renderTemplate('x: {{ .Values.a.b | quote }}{{- if eq .Values.a.b "2" }} y{{ end }}', ctx)).toBe('x: "2" y');
    // What the chart may not use without this renderer learning it (helm would render these; helm-lite must not guess).
    for (const t of ['{{ include "x" . }}', "{{ .Values.a | default 1 }}", "{{ if .Values.a }}1{{ else }}2{{ end }}"]) {
      expect(() => renderTemplate(t, ctx), t).toThrow(UnsupportedTemplate);
    }
    // The chart as it is renders without an unsupported action (or with helm), to objects with a kind and name.
    expect(renderChart().every((o) => o.kind && o.metadata.name)).toBe(true);
    // Whichever renders the chart (helm, or the subset renderer when helm is missing), every `{{ … }}` must be gone:
    // a construct the subset renderer does not know would otherwise pass through as text into valid-looking YAML.
    for (const overrides of [{}, { createNamespaces: true, applyBinding: "cluster" }]) {
      const objects = renderChart(overrides);
      expect(objects.length).toBeGreaterThan(0);
      expect(strings(objects).filter((text) => text.includes("{{") || text.includes("}}"))).toEqual([]);
      expect(
        objects
          .filter((o) => o.kind !== "ClusterRole" && o.kind !== "ClusterRoleBinding" && o.kind !== "Namespace")
          .every((o) => o.metadata.namespace !== undefined),
      ).toBe(true);
    }
  });

  it("validates the raw base objects against the Kubernetes schemas", () => {
    const base = rawBase();
    expect(ids(base)).toEqual(
      [
        "ClusterRole/gantry-agent",
        "ClusterRole/gantry-agent-apply",
        "ClusterRoleBinding/gantry-agent",
        "ConfigMap/gantry-agent",
        "ConfigMap/gantry-hub",
        "DaemonSet/gantry-agent",
        "Deployment/gantry-hub",
        "PodDisruptionBudget/gantry-hub",
        "Role/gantry-agent-leases",
        "RoleBinding/gantry-agent-leases",
        "Service/gantry-hub",
        "ServiceAccount/gantry-agent",
        "ServiceAccount/gantry-hub",
      ].sort(),
    );
    for (const o of base) validate(o);
    noWildcards(base);
  });

  it.runIf(KUBECTL)("renders every kustomize overlay with kubectl and validates each object", () => {
    const overlays = readdirSync(join(DEPLOY, "kustomize/overlays"));
    expect(overlays.sort()).toEqual(["dev", "production"]);
    for (const overlay of overlays) {
      const objects = kustomize(`overlays/${overlay}`);
      for (const o of objects) validate(o);
      noWildcards(objects);
      const agent = objects.find((o) => o.kind === "DaemonSet");
      expect(agent?.metadata.namespace).toBe("gantry-system");
      // NATS comes with every overlay, in the same namespace.
      expect(objects.find((o) => o.kind === "StatefulSet")?.metadata).toMatchObject({
        name: "gantry-nats",
        namespace: "gantry-system",
      });
    }
    const dev = kustomize("overlays/dev");
    const devRole = dev.find((o) => o.kind === "ClusterRole" && o.metadata.name === "gantry-agent");
    expect(JSON.stringify(devRole?.rules)).toContain('"resources":["namespaces"],"verbs":["create"]');
    expect(ids(dev)).toContain("ClusterRoleBinding/gantry-agent-apply");
    const prod = kustomize("overlays/production");
    const bindings = prod.filter((o) => o.kind === "RoleBinding" && o.metadata.name === "gantry-agent-apply");
    expect(bindings.map((b) => b.metadata.namespace).sort()).toEqual(["gantry-product", "gantry-vision"]);
    expect(ids(prod)).not.toContain("ClusterRoleBinding/gantry-agent-apply");
  });

  it("renders the Helm chart to valid objects, the same kinds and names as the kustomize base and deploy/nats", () => {
    const chart = renderChart();
    for (const o of chart) validate(o);
    noWildcards(chart);
    const base = KUBECTL ? kustomize("base") : rawBase();
    const nats = KUBECTL ? kustomize("../nats") : rawNats();
    expect(ids(chart)).toEqual(ids([...base, ...nats]));
    expect(ids(renderChart({ nats: { enabled: false } }))).toEqual(ids(base));
    // A cluster that only runs an agent (docs/kubernetes.md): nothing of the hub or NATS.
    const agentOnly = renderChart({ hub: { enabled: false }, nats: { enabled: false } });
    expect(ids(agentOnly)).toEqual(ids(base).filter((id) => id.includes("gantry-agent")));

    const open = renderChart({ agent: { createNamespaces: true, applyBinding: "cluster" } });
    for (const o of open) validate(o);
    noWildcards(open);
    expect(ids(open)).toEqual([...ids([...base, ...nats]), "ClusterRoleBinding/gantry-agent-apply"].sort());
    const role = open.find((o) => o.kind === "ClusterRole" && o.metadata.name === "gantry-agent");
    expect(JSON.stringify(role?.rules)).toContain('"resources":["namespaces"],"verbs":["create"]');
  });

  it("keeps the agent's privileges to what the driver uses", () => {
    const base = rawBase();
    const read = base.find((o) => o.kind === "ClusterRole" && o.metadata.name === "gantry-agent");
    const rules = (read?.rules ?? []) as { resources: string[]; verbs: string[] }[];
    for (const r of rules) expect(r.verbs.every((v) => ["get", "list", "watch"].includes(v))).toBe(true);
    const leases = base.find((o) => o.kind === "Role") as
      | { rules: { resources: string[]; resourceNames?: string[]; verbs: string[] }[] }
      | undefined;
    const leaseVerbs = leases?.rules.filter((r) => r.resources.includes("leases")).map((r) => r.verbs.join(","));
    expect(leaseVerbs).toEqual(["create", "get,list,watch,update"]);
    const ds = base.find((o) => o.kind === "DaemonSet") as unknown as {
      spec: {
        template: {
          spec: {
            securityContext: { runAsNonRoot: boolean };
            containers: { env: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[] }[];
          };
        };
      };
    };
    expect(ds.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    const env = ds.spec.template.spec.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === "NODE_NAME")?.valueFrom?.fieldRef?.fieldPath).toBe("spec.nodeName");
  });

  it("grants the agent what serving signals and routing use, and mounts a driver config it can parse", () => {
    for (const objects of [rawBase(), renderChart()]) {
      const role = (name: string) =>
        (objects.find((o) => o.kind === "ClusterRole" && o.metadata.name === name)?.rules ?? []) as {
          apiGroups: string[];
          resources: string[];
          verbs: string[];
        }[];
      const grants = (name: string, group: string, resource: string) =>
        role(name)
          .filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource))
          .flatMap((r) => r.verbs)
          .sort();
      expect(grants("gantry-agent", "", "pods/proxy")).toEqual(["get"]);
      for (const [group, resource] of [
        ["", "services"],
        ["gateway.networking.k8s.io", "httproutes"],
        ["inference.networking.k8s.io", "inferencepools"],
        ["inference.networking.x-k8s.io", "inferencepools"],
      ] as const) {
        expect(grants("gantry-agent", group, resource), resource).toEqual(["get", "list", "watch"]);
        expect(grants("gantry-agent-apply", group, resource), resource).toEqual([
          "create",
          "delete",
          "patch",
          "update",
        ]);
      }
      const config = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "gantry-agent") as
        | { data: Record<string, string> }
        | undefined;
      const text = config?.data["kubernetes.yaml"] ?? "";
      expect(KubernetesDriverConfig.parse(parseYaml(text))).toMatchObject({ serving: { metrics: { via: "proxy" } } });
      const ds = objects.find((o) => o.kind === "DaemonSet") as unknown as {
        spec: {
          template: {
            spec: {
              containers: { env: { name: string; value?: string }[] }[];
              volumes: { configMap?: { items: { key: string }[] } }[];
            };
          };
        };
      };
      const env = ds.spec.template.spec.containers[0]?.env ?? [];
      expect(env.find((e) => e.name === "GANTRY_KUBERNETES_CONFIG")?.value).toBe("/etc/gantry/kubernetes.yaml");
      const items = ds.spec.template.spec.volumes.flatMap((v) => v.configMap?.items ?? []).map((i) => i.key);
      expect(items).toContain("kubernetes.yaml");
    }
  });

  it("runs two hub replicas spread over nodes, with a disruption budget, readiness on /readyz and liveness on /healthz", () => {
    const sources: [string, K8sObject[]][] = [
      ["base", rawBase()],
      ["chart", renderChart()],
    ];
    if (KUBECTL) for (const o of ["dev", "production"]) sources.push([o, kustomize(`overlays/${o}`)]);
    for (const [what, objects] of sources) {
      const { hub, pod } = checkHaHub(objects);
      // Soft spreading by node, and a rollout that adds a replica before it removes one.
      const preferred = pod.spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
      expect(
        preferred.map((p) => p.podAffinityTerm.topologyKey),
        what,
      ).toEqual(["kubernetes.io/hostname"]);
      expect(matches(preferred[0]!.podAffinityTerm.labelSelector.matchLabels, pod.metadata.labels)).toBe(true);
      expect(hub.spec.strategy?.rollingUpdate, what).toEqual({ maxUnavailable: 0, maxSurge: 1 });
    }
  });

  it("lets the chart require one hub per node, change the replica count, and drop the budget", () => {
    const hard = renderChart({ hub: { antiAffinity: "hard", replicas: 3 } });
    for (const o of hard) validate(o);
    const { hub, pod } = checkHaHub(hard, 3);
    const anti = pod.spec.affinity?.podAntiAffinity;
    expect(anti?.preferredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
    expect(anti?.requiredDuringSchedulingIgnoredDuringExecution?.map((t) => t.topologyKey)).toEqual([
      "kubernetes.io/hostname",
    ]);
    // With one replica per node a surge replica would have nowhere to go: replace one at a time instead.
    expect(hub.spec.strategy?.rollingUpdate).toEqual({ maxUnavailable: 1, maxSurge: 0 });
    const noPdb = renderChart({ hub: { podDisruptionBudget: { enabled: false } } });
    expect(ids(noPdb)).not.toContain("PodDisruptionBudget/gantry-hub");
    expect(ids(noPdb)).toContain("Deployment/gantry-hub");
  });

  it("gives the agent its NATS identity from a Secret, mounted so that a rotation reaches it", () => {
    for (const objects of [rawBase(), renderChart()]) {
      const ds = find<Workload>(objects, "DaemonSet", "gantry-agent");
      const c = ds.spec.template.spec.containers[0]!;
      const creds = envOf(c, "NATS_CREDS")?.value ?? "";
      const at = mountFor(ds.spec.template.spec, c, creds);
      expect(at?.volume?.secret?.secretName).toBe("gantry-agent-creds");
      expect(at?.volume?.secret?.items).toEqual([
        { key: "agent.creds", path: creds.slice(at!.mount.mountPath.length + 1) },
      ]);
      // A subPath mount never sees a rotated Secret.
      expect(at?.mount.subPath).toBeUndefined();
      expect(envOf(c, "NATS_URL")).toBeDefined();
    }
  });

  it("runs NATS from the config `gantry nats init` writes, with JWT authentication and its resolver on a volume", async () => {
    for (const objects of [rawNats(), renderChart()]) {
      for (const o of objects.filter((x) => x.kind === "StatefulSet" || x.kind === "Service")) validate(o);
      const sts = find<Workload>(objects, "StatefulSet", "gantry-nats");
      const spec = sts.spec.template.spec;
      const c = spec.containers[0]!;
      const configPath = c.args?.[c.args.indexOf("-c") + 1] ?? "";
      const config = mountFor(spec, c, configPath);
      expect(config?.volume?.secret?.secretName).toBe("gantry-nats-server");
      expect(config?.volume?.secret?.items?.map((i) => i.key)).toEqual(["nats-server.conf"]);
      const jwt = c.volumeMounts?.find((m) => m.mountPath === "/data/jwt");
      expect(sts.spec.volumeClaimTemplates?.map((v) => v.metadata.name)).toContain(jwt?.name);
      expect(c.ports?.find((p) => p.name === "client")?.containerPort).toBe(4222);
      const svc = find<K8sObject & { spec: { selector: Record<string, string> } }>(objects, "Service", "gantry-nats");
      expect(matches(svc.spec.selector, sts.spec.template.metadata.labels)).toBe(true);
    }
    // The config for exactly that layout, generated as the docs say, is one nats-server accepts...
    const dir = mkdtempSync(join(tmpdir(), "gantry-deploy-nats-"));
    try {
      const { config } = await initNatsAuthority({
        dir: join(dir, "authority"),
        host: "0.0.0.0",
        port: 4222,
        resolverDir: "/data/jwt",
      });
      writeFileSync(join(dir, "nats-server.conf"), config);
      const check = spawnSync("nats-server", ["-t", "-c", join(dir, "nats-server.conf")], { encoding: "utf8" });
      expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
      // ...and the example in deploy/nats has its shape (the same settings, JWTs and keys cut short).
      const shape = (text: string) =>
        text
          .split("\n")
          .filter((l) => l.trim() && !l.startsWith("#"))
          .map((l) => l.replace(/"[^"]*"/g, '"…"'));
      expect(shape(readFileSync(join(DEPLOY, "nats/nats-server.conf"), "utf8"))).toEqual(shape(config));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("builds hub and agent images in stages, from a frozen lockfile, as a non-root user", () => {
    const entrypoints = {
      hub: 'ENTRYPOINT ["node", "packages/hub/dist/gantry.mjs"]',
      agent: 'ENTRYPOINT ["node", "packages/agent/dist/gantry-agent.mjs"]',
    };
    for (const [role, entrypoint] of Object.entries(entrypoints)) {
      const text = readFileSync(join(DEPLOY, "docker", `${role}.Dockerfile`), "utf8");
      expect(text.match(/^FROM node:20-slim AS \w+$/gm)?.length, role).toBeGreaterThanOrEqual(2);
      expect(text).toContain("pnpm install --frozen-lockfile");
      expect(text).toMatch(/^USER 10001:10001$/m);
      expect(text).toContain(entrypoint);
    }
  });

  it("bundles the agent the way its image does, and the bundle runs without tsx or the hub", () => {
    const build = spawnSync(process.execPath, [join(ROOT, "packages/agent/build.mjs")], { encoding: "utf8" });
    expect(build.status, build.stderr).toBe(0);
    const bundle = join(ROOT, "packages/agent/dist/gantry-agent.mjs");
    const source = readFileSync(bundle, "utf8");
    expect(source).not.toContain("packages/hub/");
    const help = spawnSync(process.execPath, [bundle, "agent", "--help"], { encoding: "utf8" });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain("--driver");
    expect(help.stdout).toContain("--cluster");
    // A bad flag value is named, as with `gantry agent`.
    const bad = spawnSync(process.execPath, [bundle, "agent", "--cluster", "gpu-east", "--driver", "vmware"], {
      encoding: "utf8",
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("--driver");
  });
});
