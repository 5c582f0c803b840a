/**
 * One process running many simulated agents (a reconnect storm's source): `node --import tsx many-agents.ts
 * --nats URL --count N --prefix P`. Cluster `P-i` has one node of 8 A100s. Prints `ready N` once every agent has
 * started; exits on SIGTERM. Each agent has its own NATS connection, as separate agent processes would.
 */
import { type Agent, createAgent, createSimulatedDriver } from "@gantry/agent";
import { silentLogger } from "@gantry/hub";
import { stormFleet } from "./storm-fleet.ts";

const arg = (name: string, fallback?: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i === -1 ? fallback : process.argv[i + 1];
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
};

const natsUrl = arg("nats");
const count = Number(arg("count", "1000"));
const prefix = arg("prefix", "storm");

const agents: Agent[] = [];
const logger = silentLogger();
const fleet = stormFleet(count, prefix);
for (let i = 0; i < fleet.clusters.length; i += 50) {
  await Promise.all(
    fleet.clusters.slice(i, i + 50).map(async (cluster) => {
      const agent = createAgent({
        config: {
          cluster: cluster.name,
          natsUrl,
          heartbeatIntervalMs: 2_000,
          statusIntervalMs: 15_000,
          resyncIntervalMs: 30_000,
          heartbeatTimeoutMs: 5_000,
        },
        driver: createSimulatedDriver({ cluster, now: () => new Date(), secondsPerHour: 1, tickMs: 1_000 }),
        logger,
      });
      await agent.start();
      agents.push(agent);
    }),
  );
}
process.stdout.write(`ready ${agents.length}\n`);

const stop = async () => {
  await Promise.all(agents.map((a) => a.close()));
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
