import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { homedir } from "node:os";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { KubernetesDriverError } from "./errors.ts";

/**
 * What the driver needs from a kubeconfig: the server and, per request, TLS material and auth
 * headers. `KubeConfig` from @kubernetes/client-node satisfies this shape, so callers may pass one.
 */
export interface KubeConnection {
  getCurrentCluster(): { server: string } | null;
  applyToHTTPSOptions(opts: https.RequestOptions): Promise<void>;
}

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

const Kubeconfig = z.object({
  "current-context": z.string().optional(),
  clusters: z
    .array(
      z.object({
        name: z.string(),
        cluster: z.object({
          server: z.string(),
          "certificate-authority-data": z.string().optional(),
          "certificate-authority": z.string().optional(),
          "insecure-skip-tls-verify": z.boolean().optional(),
          "proxy-url": z.string().optional(),
        }),
      }),
    )
    .default([]),
  users: z
    .array(z.object({ name: z.string(), user: z.record(z.string(), z.unknown()).nullable().default({}) }))
    .default([]),
  contexts: z
    .array(z.object({ name: z.string(), context: z.object({ cluster: z.string(), user: z.string().optional() }) }))
    .default([]),
});

const User = z.object({
  token: z.string().optional(),
  tokenFile: z.string().optional(),
  "client-certificate-data": z.string().optional(),
  "client-certificate": z.string().optional(),
  "client-key-data": z.string().optional(),
  "client-key": z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
});

interface Material {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecure: boolean;
  /** Read per request: projected service account tokens rotate. */
  token?: () => string;
  basic?: string;
}

const connection = (m: Material): KubeConnection => {
  const secure = m.server.startsWith("https:");
  // One keep-alive agent for the process: list pages and lease renewals reuse connections.
  const agent = secure
    ? new https.Agent({ keepAlive: true, ca: m.ca, cert: m.cert, key: m.key, rejectUnauthorized: !m.insecure })
    : new http.Agent({ keepAlive: true });
  return {
    getCurrentCluster: () => ({ server: m.server }),
    async applyToHTTPSOptions(opts) {
      opts.agent = agent;
      const headers: Record<string, string> = {};
      const token = m.token?.().trim();
      if (token) headers.authorization = `Bearer ${token}`;
      else if (m.basic) headers.authorization = `Basic ${Buffer.from(m.basic).toString("base64")}`;
      opts.headers = { ...(opts.headers as Record<string, string> | undefined), ...headers };
    },
  };
};

const fileOrData = (data: string | undefined, file: string | undefined): Buffer | undefined =>
  data ? Buffer.from(data, "base64") : file ? readFileSync(file) : undefined;

/** In-cluster config from the pod's service account, as client-go's rest.InClusterConfig does it. */
const inCluster = (): KubeConnection => {
  const host = process.env.KUBERNETES_SERVICE_HOST ?? "";
  const port = process.env.KUBERNETES_SERVICE_PORT ?? "443";
  return connection({
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    ca: readFileSync(`${SA_DIR}/ca.crt`),
    insecure: false,
    token: () => readFileSync(`${SA_DIR}/token`, "utf8"),
  });
};

/**
 * A connection from a kubeconfig file, or undefined when its user needs an exec plugin or auth
 * provider (EKS, GKE, OIDC): those the caller loads with @kubernetes/client-node instead.
 */
const fromFile = (path: string): KubeConnection | undefined => {
  const doc = Kubeconfig.parse(parseYaml(readFileSync(path, "utf8")));
  const ctx = doc.contexts.find((c) => c.name === doc["current-context"]) ?? doc.contexts[0];
  const cluster = doc.clusters.find((c) => c.name === ctx?.context.cluster)?.cluster;
  if (!ctx || !cluster) throw new KubernetesDriverError("k8s_no_cluster", `${path}: no current context with a cluster`);
  const rawUser = doc.users.find((u) => u.name === ctx.context.user)?.user ?? {};
  if ("exec" in rawUser || "auth-provider" in rawUser || cluster["proxy-url"]) return undefined;
  const user = User.parse(rawUser);
  const tokenFile = user.tokenFile;
  return connection({
    server: cluster.server,
    ca: fileOrData(cluster["certificate-authority-data"], cluster["certificate-authority"]),
    cert: fileOrData(user["client-certificate-data"], user["client-certificate"]),
    key: fileOrData(user["client-key-data"], user["client-key"]),
    insecure: cluster["insecure-skip-tls-verify"] ?? false,
    token: user.token ? () => user.token ?? "" : tokenFile ? () => readFileSync(tokenFile, "utf8") : undefined,
    ...(user.username ? { basic: `${user.username}:${user.password ?? ""}` } : {}),
  });
};

/**
 * Load the connection without @kubernetes/client-node when possible. Why: importing that package
 * loads every generated API model and costs 65–130 MB of RSS, most of the agent's budget; in-cluster
 * service accounts and token/certificate kubeconfigs need none of it. Exec plugins and auth providers
 * still go through the library, loaded only then.
 */
export const loadKubeConnection = async (path?: string): Promise<KubeConnection> => {
  if (!path && process.env.KUBERNETES_SERVICE_HOST) return inCluster();
  const file = path ?? process.env.KUBECONFIG?.split(":")[0] ?? `${homedir()}/.kube/config`;
  const light = fromFile(file);
  if (light) return light;
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
};
