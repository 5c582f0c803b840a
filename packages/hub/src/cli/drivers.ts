import type { ClusterDriver } from "@gantry/agent";
import { CliError } from "./output.ts";

/** Builds the Kubernetes driver for `gantry agent --driver kubernetes`. */
export const kubernetesDriverFactory = async (_options: {
  cluster: string;
  describe: string;
  kubeconfig: string | undefined;
}): Promise<ClusterDriver> => {
  throw new CliError("the kubernetes driver is not wired yet");
};
