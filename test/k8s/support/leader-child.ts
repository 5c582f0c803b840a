/**
 * Runs one Kubernetes driver with leader election in its own process, so a test can SIGKILL it
 * (a crash: no lease release). Prints `{"leader":true|false}` lines as leadership changes.
 * Env: KUBECONFIG_PATH (loaded by the driver itself, without @kubernetes/client-node), IDENTITY, LEASE_SECONDS, RENEW_MS.
 */
import { createKubernetesDriver } from "../../../packages/agent/src/drivers/kubernetes/index.ts";
import { aCluster, memoryLogger } from "./driver-fixtures.ts";

const driver = createKubernetesDriver({
  kubeconfigPath: process.env.KUBECONFIG_PATH ?? "",
  cluster: aCluster(),
  logger: memoryLogger(),
  leaderElection: {
    namespace: "gantry-system",
    identity: process.env.IDENTITY ?? "child",
    leaseDurationSeconds: Number(process.env.LEASE_SECONDS ?? "2"),
    renewIntervalMs: Number(process.env.RENEW_MS ?? "250"),
  },
});
driver.leadership?.onChange((leader) => process.stdout.write(`${JSON.stringify({ leader })}\n`));
await driver.start();
process.stdout.write(`${JSON.stringify({ started: true, leader: driver.leadership?.isLeader() ?? false })}\n`);
