import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as apps from "kubernetes-models/apps/v1";
import * as batch from "kubernetes-models/batch/v1";
import * as coordination from "kubernetes-models/coordination.k8s.io/v1";
import * as rbac from "kubernetes-models/rbac.authorization.k8s.io/v1";
import * as core from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { KubernetesDriverConfig } from "../../packages/agent/src/drivers/kubernetes/index.ts";
import { type HelmContext, renderTemplate } from "./support/helm-lite.ts";

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

/** Render the chart with helm when it is installed, else with the subset renderer. */
const renderChart = (overrides: { createNamespaces?: boolean; applyBinding?: string } = {}): K8sObject[] => {
  if (HELM) {
    const sets = Object.entries(overrides).flatMap(([k, v]) => ["--set", `agent.${k}=${String(v)}`]);
    const r = spawnSync("helm", ["template", "gantry", CHART, "--namespace", "gantry-system", ...sets], {
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
    return docs(r.stdout);
  }
  const values = helmValues();
  values.agent = { ...(values.agent as Record<string, unknown>), ...overrides };
  const ctx: HelmContext = {
    Values: values,
    Release: { Namespace: "gantry-system", Name: "gantry" },
    Chart: { AppVersion: "0.1.0", Name: "gantry" },
  };
  const dir = join(CHART, "templates");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .flatMap((f) => docs(renderTemplate(readFileSync(join(dir, f), "utf8"), ctx)));
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

describe("deploy/ manifests", () => {
  it("says which renderers this machine has, and the chart's renderer leaves no template syntax behind", () => {
    process.stdout.write(
      `deploy tests: kubectl ${KUBECTL ? "present: kustomize overlays are rendered and checked" : "NOT installed: kustomize overlays were NOT rendered, only the raw base files are checked"}; ` +
        `helm ${HELM ? "present: the chart is rendered with `helm template`" : "NOT installed (no Debian package here): the chart is rendered with test/k8s/support/helm-lite.ts, which supports only the template subset the chart uses"}\n`,
    );
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

  it("renders the Helm chart to valid objects, the same kinds and names as the kustomize base", () => {
    const chart = renderChart();
    for (const o of chart) validate(o);
    noWildcards(chart);
    const base = KUBECTL ? kustomize("base") : rawBase();
    expect(ids(chart)).toEqual(ids(base));

    const open = renderChart({ createNamespaces: true, applyBinding: "cluster" });
    for (const o of open) validate(o);
    noWildcards(open);
    expect(ids(open)).toEqual([...ids(base), "ClusterRoleBinding/gantry-agent-apply"].sort());
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

  it("builds hub and agent images in stages, from a frozen lockfile, as a non-root user", () => {
    const entrypoints = {
      hub: 'ENTRYPOINT ["node", "packages/hub/bin/gantry.mjs"]',
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
