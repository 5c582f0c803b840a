import type { FleetCluster } from "@gantry/shared";
import { createAgent } from "../agent.ts";
import type { ClusterDriver } from "../drivers/driver.ts";
import { createSimulatedDriver } from "../drivers/simulated/simulated.ts";
import { createLogger } from "../logger.ts";
import { CliError, USAGE_EXIT } from "./errors.ts";
import { kubernetesDriverFactory } from "./kubernetes.ts";
import { readFleet, untilSignal } from "./process.ts";
import { startTracing } from "./tracing.ts";

export interface AgentFlags {
  cluster: string;
  driver: string;
  sim?: string;
  describe?: string;
  kubeconfig?: string;
  natsUrl?: string;
  creds?: string;
  secondsPerHour: number;
  heartbeatMs?: number;
  statusMs?: number;
  resyncMs?: number;
}

const findCluster = (clusters: FleetCluster[], name: string, file: string): FleetCluster => {
  const cluster = clusters.find((c) => c.name === name);
  if (!cluster) {
    throw new CliError(
      `--cluster ${name}: no such cluster in ${file} (it has ${clusters.map((c) => c.name).join(", ") || "none"})`,
      USAGE_EXIT,
    );
  }
  return cluster;
};

/** What `gantry agent` runs: the driver, the agent, until a signal stops it. */
export const runAgent = async (o: AgentFlags, out: (text: string) => void): Promise<void> => {
  const natsUrl = o.natsUrl ?? process.env.NATS_URL ?? "nats://127.0.0.1:4222";
  const logger = createLogger("gantry-agent").child({ cluster: o.cluster });
  const stopTracing = await startTracing("gantry-agent");
  let driver: ClusterDriver;
  if (o.driver === "simulated") {
    if (!o.sim) throw new CliError("--sim FILE is required with --driver simulated", USAGE_EXIT);
    const cluster = findCluster((await readFleet(o.sim)).clusters, o.cluster, o.sim);
    driver = createSimulatedDriver({ cluster, now: () => new Date(), secondsPerHour: o.secondsPerHour });
  } else if (o.driver === "kubernetes") {
    if (!o.describe) throw new CliError("--describe FILE is required with --driver kubernetes", USAGE_EXIT);
    driver = await kubernetesDriverFactory({
      cluster: o.cluster,
      describe: o.describe,
      kubeconfig: o.kubeconfig,
      logger,
    });
  } else {
    throw new CliError(`--driver must be simulated or kubernetes (got ${JSON.stringify(o.driver)})`, USAGE_EXIT);
  }
  const natsCreds = o.creds ?? process.env.NATS_CREDS;
  const agent = createAgent({
    config: {
      cluster: o.cluster,
      natsUrl,
      ...(natsCreds ? { natsCreds } : {}),
      ...(o.heartbeatMs ? { heartbeatIntervalMs: o.heartbeatMs } : {}),
      ...(o.statusMs ? { statusIntervalMs: o.statusMs } : {}),
      ...(o.resyncMs ? { resyncIntervalMs: o.resyncMs } : {}),
    },
    driver,
    logger,
  });
  await agent.start();
  out(`gantry agent for ${o.cluster} (${driver.kind}) connected to ${natsUrl}`);
  await untilSignal(async () => {
    await agent.close();
    await stopTracing();
  });
  // Stopped: leave now rather than wait for timers a library may still hold.
  process.exit(0);
};
