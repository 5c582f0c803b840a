import { fileURLToPath } from "node:url";
import {
  type Agent,
  agentCommand,
  createAgent,
  createSimulatedDriver,
  nonNegative,
  readFleet,
  startTracing,
  untilSignal,
} from "@gantry/agent";
import type { FleetCluster } from "@gantry/shared";
import { Command } from "commander";
import { type RunningNatsServer, startNatsServer } from "../../bus/nats-server.ts";
import { HubConfig, hubConfigFromEnv } from "../../config.ts";
import { createHub } from "../../hub.ts";
import { createLogger } from "../../util/logger.ts";
import { preferredOrFreePort } from "../../util/ports.ts";

type Out = (text: string) => void;

export const DEFAULT_FLEET = fileURLToPath(new URL("../../../../../examples/fleet.yaml", import.meta.url));

const simulatedAgent = (cluster: FleetCluster, natsUrl: string, secondsPerHour: number, heartbeatIntervalMs?: number) =>
  createAgent({
    config: { cluster: cluster.name, natsUrl, ...(heartbeatIntervalMs ? { heartbeatIntervalMs } : {}) },
    driver: createSimulatedDriver({ cluster, now: () => new Date(), secondsPerHour }),
    logger: createLogger("gantry-agent").child({ cluster: cluster.name }),
  });

/** Options shared by the commands that run a hub. */
const hubOptions = (cmd: Command) =>
  cmd
    .option("--port <port>", "HTTP port (PORT)", nonNegative("--port"))
    .option("--host <host>", "address to bind (GANTRY_HOST)")
    .option("--data-dir <dir>", "embedded database folder when DATABASE_URL is not set (GANTRY_DATA_DIR)")
    .option("--database-url <url>", "PostgreSQL URL (DATABASE_URL)")
    .option("--nats-url <url>", "NATS URL (NATS_URL)");

interface HubFlags {
  port?: number;
  host?: string;
  dataDir?: string;
  databaseUrl?: string;
  natsUrl?: string;
}
const flagsToConfig = (o: HubFlags) => ({
  ...hubConfigFromEnv(process.env),
  ...(o.port !== undefined ? { port: o.port } : {}),
  ...(o.host ? { host: o.host } : {}),
  ...(o.dataDir ? { dataDir: o.dataDir } : {}),
  ...(o.databaseUrl ? { databaseUrl: o.databaseUrl } : {}),
  ...(o.natsUrl ? { natsUrl: o.natsUrl } : {}),
});

/** `gantry hub`, `gantry agent` and `gantry up`: the long-running parts. */
export const serverCommands = (out: Out): Command[] => {
  const hub = hubOptions(new Command("hub").description("run the hub (API, scheduler, NATS bus)")).action(
    async (o: HubFlags) => {
      const stopTracing = await startTracing("gantry-hub");
      const h = await createHub({ config: flagsToConfig(o) });
      await h.start();
      out(`gantry hub listening on ${h.url}`);
      await untilSignal(async () => {
        await h.close();
        await stopTracing();
      });
      // Stopped: leave now rather than wait for timers a library may still hold.
      process.exit(0);
    },
  );

  const up = hubOptions(
    new Command("up")
      .description("run everything on this machine: NATS, the hub with its embedded database, a simulated fleet")
      .option("--fleet <file>", "fleet file", DEFAULT_FLEET)
      .option("--seconds-per-hour <n>", "real seconds per simulated hour", nonNegative("--seconds-per-hour"), 60),
  ).action(async (o: HubFlags & { fleet: string; secondsPerHour: number }) => {
    const fleet = await readFleet(o.fleet);
    const env = flagsToConfig(o);
    // Everything on one machine: mint the first admin token where the CLI will find it.
    const config = { ...env, auth: { ...env.auth, bootstrapAdminToken: true } };
    const stopTracing = await startTracing("gantry");
    let nats: RunningNatsServer | undefined;
    if (!o.natsUrl && !process.env.NATS_URL) {
      nats = await startNatsServer({ port: await preferredOrFreePort(4222) });
      config.natsUrl = nats.url;
    }
    const natsUrl = HubConfig.parse(config).natsUrl;
    const h = await createHub({ config });
    await h.start();
    for (const d of fleet.datasets) await h.store.datasets.put(d);
    // The operator's fleet file registers every cluster it lists: registered clusters get work.
    for (const { name, nodes: _nodes, health: _health, ...registration } of fleet.clusters) {
      await h.registerCluster(name, registration);
    }
    const agents: Agent[] = [];
    for (const c of fleet.clusters.filter((c) => c.health !== "offline")) {
      const a = simulatedAgent(c, natsUrl, o.secondsPerHour, 2_000);
      await a.start();
      agents.push(a);
    }
    out(
      [
        "Gantry is up.",
        `  dashboard  ${h.url}/`,
        `  API        ${h.url}/api/v1  (OpenAPI: ${h.url}/api/v1/openapi.json)`,
        `  NATS       ${natsUrl}${nats ? " (started here)" : ""}`,
        `  database   ${config.databaseUrl ? "PostgreSQL" : `embedded PGlite in ${HubConfig.parse(config).dataDir}`}`,
        `  fleet      ${agents.length} simulated cluster(s) from ${o.fleet}; 1 simulated hour = ${o.secondsPerHour}s`,
        `  admin      token in ${h.adminTokenFile} (mode 0600; the CLI reads it for a hub on this machine)`,
        "",
        `Try: pnpm gantry submit -f examples/train-job.yaml --hub ${h.url}`,
        `     pnpm gantry get workloads --hub ${h.url}`,
        "Ctrl-C stops everything.",
      ].join("\n"),
    );
    await untilSignal(async () => {
      for (const a of agents.reverse()) await a.close();
      await h.close();
      await nats?.stop();
      await stopTracing();
    });
    // Stopped: leave now rather than wait for timers a library may still hold.
    process.exit(0);
  });

  return [hub, agentCommand(out), up];
};
