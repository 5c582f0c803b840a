import { readFile } from "node:fs/promises";
import { ClusterDescription, parseDocument, parseWith } from "@gantry/shared";
import type { ClusterDriver } from "../drivers/driver.ts";
import { createKubernetesDriver, KubernetesDriverConfig, optionsFromConfig } from "../drivers/kubernetes/index.ts";
import type { AgentLogger } from "../logger.ts";
import { CliError, USAGE_EXIT } from "./errors.ts";

/**
 * Builds the Kubernetes driver for `gantry agent --driver kubernetes`. Tier, region and prices come
 * from `--describe`; the DaemonSet's downward-API variables switch on leader election.
 */
export const kubernetesDriverFactory = async (options: {
  cluster: string;
  describe: string;
  kubeconfig: string | undefined;
  logger: AgentLogger;
}): Promise<ClusterDriver> => {
  let text: string;
  try {
    text = await readFile(options.describe, "utf8");
  } catch (e) {
    throw new CliError(`cannot read --describe ${options.describe}: ${(e as Error).message}`, USAGE_EXIT);
  }
  const description = parseWith(ClusterDescription, parseDocument(text, options.describe), options.describe);
  if (description.name !== options.cluster) {
    throw new CliError(
      `--cluster ${options.cluster} does not match name ${description.name} in ${options.describe}`,
      USAGE_EXIT,
    );
  }
  const env = process.env;
  const leaderElection =
    env.GANTRY_LEADER_ELECTION === "true"
      ? {
          namespace: env.POD_NAMESPACE ?? "gantry-system",
          identity: env.POD_NAME ?? `${options.cluster}-${process.pid}`,
          ...(env.NODE_NAME ? { nodeName: env.NODE_NAME } : {}),
        }
      : undefined;
  // Serving signals, routing and recreate settings of this cluster (the agent ConfigMap's kubernetes.yaml).
  const configPath = env.GANTRY_KUBERNETES_CONFIG;
  let driverConfig = {};
  if (configPath) {
    let configText: string;
    try {
      configText = await readFile(configPath, "utf8");
    } catch (e) {
      throw new CliError(`cannot read GANTRY_KUBERNETES_CONFIG ${configPath}: ${(e as Error).message}`, USAGE_EXIT);
    }
    driverConfig = optionsFromConfig(
      parseWith(KubernetesDriverConfig, parseDocument(configText, configPath) ?? {}, configPath),
    );
  }
  return createKubernetesDriver({
    ...driverConfig,
    cluster: description,
    logger: options.logger,
    ...(options.kubeconfig ? { kubeconfigPath: options.kubeconfig } : {}),
    namespaces: { create: env.GANTRY_CREATE_NAMESPACES === "true" },
    ...(leaderElection ? { leaderElection } : {}),
  });
};
