import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type Agent, type ClusterDriver, createAgent, createSimulatedDriver } from "@gantry/agent";
import { Fleet, type FleetCluster, parseDocument, parseWith } from "@gantry/shared";
import { Command } from "commander";
import { type RunningNatsServer, startNatsServer } from "../../bus/nats-server.ts";
import { HubConfig, hubConfigFromEnv } from "../../config.ts";
import { createHub } from "../../hub.ts";
import { createLogger } from "../../util/logger.ts";
import { preferredOrFreePort } from "../../util/ports.ts";
import { CliError } from "../output.ts";

type Out = (text: string) => void;

export const DEFAULT_FLEET = fileURLToPath(new URL("../../../../../examples/fleet.yaml", import.meta.url));

export const readFleet = async (file: string): Promise<Fleet> => {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new CliError(`cannot read fleet file ${file}: ${(e as Error).message}`);
  }
  return parseWith(Fleet, parseDocument(text, file), file);
};

const findCluster = (fleet: Fleet, name: string, file: string): FleetCluster => {
  const cluster = fleet.clusters.find((c) => c.name === name);
  if (!cluster) {
    throw new CliError(
      `--cluster ${name}: no such cluster in ${file} (it has ${fleet.clusters.map((c) => c.name).join(", ") || "none"})`,
    );
  }
  return cluster;
};

const int = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new CliError(`${flag} must be a non-negative number (got ${JSON.stringify(value)})`);
  return n;
};

/** Stop everything on Ctrl-C or SIGTERM, in reverse order of starting. */
const untilSignal = (stop: () => Promise<void>) =>
  new Promise<void>((resolve) => {
    let stopping = false;
    const handler = () => {
      if (stopping) return;
      stopping = true;
      stop()
        .catch((e: unknown) => process.stderr.write(`shutdown failed: ${(e as Error).message}\n`))
        .finally(resolve);
    };
    process.once("SIGINT", handler);
    process.once("SIGTERM", handler);
  });

const simulatedAgent = (cluster: FleetCluster, natsUrl: string, secondsPerHour: number, heartbeatIntervalMs?: number) =>
  createAgent({
    config: { cluster: cluster.name, natsUrl, ...(heartbeatIntervalMs ? { heartbeatIntervalMs } : {}) },
    driver: createSimulatedDriver({ cluster, now: () => new Date(), secondsPerHour }),
    logger: createLogger("gantry-agent").child({ cluster: cluster.name }),
  });

/** Options shared by the commands that run a hub. */
const hubOptions = (cmd: Command) =>
  cmd
    .option("--port <port>", "HTTP port (PORT)", int("--port"))
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
export const serverCommands = (out: Out, drivers: DriverFactories): Command[] => {
  const hub = hubOptions(new Command("hub").description("run the hub (API, scheduler, NATS bus)")).action(
    async (o: HubFlags) => {
      const h = await createHub({ config: flagsToConfig(o) });
      await h.start();
      out(`gantry hub listening on ${h.url}`);
      await untilSignal(() => h.close());
    },
  );

  const agent = new Command("agent")
    .description("run one cluster's agent")
    .requiredOption("--cluster <name>", "the cluster this agent serves")
    .option("--driver <driver>", "simulated | kubernetes", "simulated")
    .option("--sim <file>", "fleet file holding the simulated cluster (driver simulated)")
    .option("--describe <file>", "cluster description YAML: tier, region, pricing (driver kubernetes)")
    .option("--kubeconfig <file>", "kubeconfig (default: in-cluster service account, then KUBECONFIG, ~/.kube/config)")
    .option("--nats-url <url>", "NATS URL (NATS_URL)")
    .option(
      "--seconds-per-hour <n>",
      "simulated driver: real seconds per simulated hour",
      int("--seconds-per-hour"),
      60,
    )
    .option("--heartbeat-ms <n>", "heartbeat interval", int("--heartbeat-ms"))
    .action(
      async (o: {
        cluster: string;
        driver: string;
        sim?: string;
        describe?: string;
        kubeconfig?: string;
        natsUrl?: string;
        secondsPerHour: number;
        heartbeatMs?: number;
      }) => {
        const natsUrl = o.natsUrl ?? process.env.NATS_URL ?? "nats://127.0.0.1:4222";
        const logger = createLogger("gantry-agent").child({ cluster: o.cluster });
        let driver: ClusterDriver;
        if (o.driver === "simulated") {
          if (!o.sim) throw new CliError("--sim FILE is required with --driver simulated");
          const cluster = findCluster(await readFleet(o.sim), o.cluster, o.sim);
          driver = createSimulatedDriver({ cluster, now: () => new Date(), secondsPerHour: o.secondsPerHour });
        } else if (o.driver === "kubernetes") {
          if (!o.describe) throw new CliError("--describe FILE is required with --driver kubernetes");
          driver = await drivers.kubernetes({
            cluster: o.cluster,
            describe: o.describe,
            kubeconfig: o.kubeconfig,
            logger,
          });
        } else {
          throw new CliError(`--driver must be simulated or kubernetes (got ${JSON.stringify(o.driver)})`);
        }
        const a = createAgent({
          config: { cluster: o.cluster, natsUrl, ...(o.heartbeatMs ? { heartbeatIntervalMs: o.heartbeatMs } : {}) },
          driver,
          logger,
        });
        await a.start();
        out(`gantry agent for ${o.cluster} (${driver.kind}) connected to ${natsUrl}`);
        await untilSignal(() => a.close());
      },
    );

  const up = hubOptions(
    new Command("up")
      .description("run everything on this machine: NATS, the hub with its embedded database, a simulated fleet")
      .option("--fleet <file>", "fleet file", DEFAULT_FLEET)
      .option("--seconds-per-hour <n>", "real seconds per simulated hour", int("--seconds-per-hour"), 60),
  ).action(async (o: HubFlags & { fleet: string; secondsPerHour: number }) => {
    const fleet = await readFleet(o.fleet);
    const config = flagsToConfig(o);
    let nats: RunningNatsServer | undefined;
    if (!o.natsUrl && !process.env.NATS_URL) {
      nats = await startNatsServer({ port: await preferredOrFreePort(4222) });
      config.natsUrl = nats.url;
    }
    const natsUrl = HubConfig.parse(config).natsUrl;
    const h = await createHub({ config });
    await h.start();
    for (const d of fleet.datasets) await h.store.datasets.put(d);
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
    });
  });

  return [hub, agent, up];
};

/** Drivers that need more than the simulated one; injected so the CLI stays thin. */
export interface DriverFactories {
  kubernetes(options: {
    cluster: string;
    describe: string;
    kubeconfig: string | undefined;
    logger: ReturnType<typeof createLogger>;
  }): Promise<ClusterDriver>;
}
