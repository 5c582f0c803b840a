import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type Agent,
  agentCommand,
  createAgent,
  createSimulatedDriver,
  load,
  nonNegative,
  readFleet,
  type SimulatedLoad,
  startTracing,
  untilSignal,
} from "@gantry/agent";
import type { FleetCluster } from "@gantry/shared";
import { Command } from "commander";
import { type NatsAuthority, openNatsAuthority } from "../../bus/auth/index.ts";
import { type RunningNatsServer, startNatsServer } from "../../bus/nats-server.ts";
import { HubConfig, hubConfigFromEnv } from "../../config.ts";
import { createHub } from "../../hub.ts";
import { createLogger } from "../../util/logger.ts";
import { preferredOrFreePort } from "../../util/ports.ts";

type Out = (text: string) => void;

export const DEFAULT_FLEET = fileURLToPath(new URL("../../../../../examples/fleet.yaml", import.meta.url));
export const DEFAULT_TRACE = fileURLToPath(new URL("../../../../../examples/inference/trace.yaml", import.meta.url));
export const DEFAULT_SERVICE = fileURLToPath(
  new URL("../../../../../examples/inference/service.yaml", import.meta.url),
);

const simulatedAgent = (
  cluster: FleetCluster,
  natsUrl: string,
  secondsPerHour: number,
  heartbeatIntervalMs?: number,
  natsCreds?: string,
  trace?: SimulatedLoad,
) =>
  createAgent({
    config: {
      cluster: cluster.name,
      natsUrl,
      ...(heartbeatIntervalMs ? { heartbeatIntervalMs } : {}),
      ...(natsCreds ? { natsCreds } : {}),
    },
    driver: createSimulatedDriver({
      cluster,
      now: () => new Date(),
      secondsPerHour,
      // Each agent its own state over the one trace and start.
      ...(trace ? { load: { ...trace, state: new Map() } } : {}),
    }),
    logger: createLogger("gantry-agent").child({ cluster: cluster.name }),
  });

/** Options shared by the commands that run a hub. */
const hubOptions = (cmd: Command) =>
  cmd
    .option("--port <port>", "HTTP port (PORT)", nonNegative("--port"))
    .option("--host <host>", "address to bind (GANTRY_HOST)")
    .option("--data-dir <dir>", "embedded database folder when DATABASE_URL is not set (GANTRY_DATA_DIR)")
    .option("--database-url <url>", "PostgreSQL URL (DATABASE_URL)")
    .option("--nats-url <url>", "NATS URL (NATS_URL)")
    .option(
      "--nats-auth-dir <dir>",
      "the NATS authority's folder: the hub mints and revokes agents' identities (GANTRY_NATS_AUTH_DIR)",
    )
    .option(
      "--nats-creds <file>",
      "the hub's own NATS credentials, when another process holds the authority (NATS_CREDS)",
    );

interface HubFlags {
  port?: number;
  host?: string;
  dataDir?: string;
  databaseUrl?: string;
  natsUrl?: string;
  natsAuthDir?: string;
  natsCreds?: string;
}
const flagsToConfig = (o: HubFlags) => ({
  ...hubConfigFromEnv(process.env),
  ...(o.port !== undefined ? { port: o.port } : {}),
  ...(o.host ? { host: o.host } : {}),
  ...(o.dataDir ? { dataDir: o.dataDir } : {}),
  ...(o.databaseUrl ? { databaseUrl: o.databaseUrl } : {}),
  ...(o.natsUrl ? { natsUrl: o.natsUrl } : {}),
  ...(o.natsAuthDir ? { natsAuthDir: o.natsAuthDir } : {}),
  ...(o.natsCreds ? { natsCreds: o.natsCreds } : {}),
});

interface UpFlags extends HubFlags {
  fleet: string;
  secondsPerHour: number;
  loadTrace?: string | false;
  traceSpeed: number;
  traceStart: number;
  service?: string | false;
}

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
      .option("--seconds-per-hour <n>", "real seconds per simulated hour", nonNegative("--seconds-per-hour"), 60)
      .option("--load-trace <file>", "requests/s per user region the simulated clusters serve", DEFAULT_TRACE)
      .option("--trace-speed <n>", "trace seconds per real second", nonNegative("--trace-speed"), 20)
      .option(
        "--trace-start <seconds>",
        "trace time at start (default 09:55, five minutes before the shipped trace's surge)",
        nonNegative("--trace-start"),
        35_700,
      )
      .option("--service <file>", "inference service submitted at start (--no-service: none)", DEFAULT_SERVICE),
  ).action(async (o: UpFlags) => {
    const fleet = await readFleet(o.fleet);
    const env = { ...flagsToConfig(o), ...(fleet.rtt ? { rtt: fleet.rtt } : {}) };
    const trace: SimulatedLoad | undefined = o.loadTrace
      ? {
          trace: load.parseLoadTrace(await readFile(o.loadTrace, "utf8"), o.loadTrace),
          startedAtMs: Date.now(),
          offsetSeconds: o.traceStart,
          speed: o.traceSpeed,
        }
      : undefined;
    // Everything on one machine: mint the first admin token where the CLI will find it.
    const config = { ...env, auth: { ...env.auth, bootstrapAdminToken: true } };
    const stopTracing = await startTracing("gantry");
    let nats: RunningNatsServer | undefined;
    const dataDir = HubConfig.parse(config).dataDir;
    let authority: NatsAuthority | undefined;
    if (!o.natsUrl && !process.env.NATS_URL) {
      // A private nats-server with JWT authentication: the hub mints every identity, anonymous clients are refused.
      const port = await preferredOrFreePort(4222);
      const natsDir = join(dataDir, "nats");
      authority = await openNatsAuthority({ dir: natsDir, servers: `nats://127.0.0.1:${port}` });
      nats = await startNatsServer({
        port,
        detached: true,
        config: { dir: natsDir, text: authority.serverConfig({ port, resolverDir: join(natsDir, "jwt") }) },
      });
      config.natsUrl = nats.url;
    }
    const natsUrl = HubConfig.parse(config).natsUrl;
    const h = await createHub({ config, ...(authority ? { natsAuthority: authority } : {}) });
    await h.start();
    for (const d of fleet.datasets) await h.store.datasets.put(d);
    // The operator's fleet file registers every cluster it lists: registered clusters get work, and their agents
    // the NATS credentials the hub mints for them (kept in the data folder, mode 0600).
    const credsDir = join(dataDir, "creds");
    await mkdir(credsDir, { recursive: true, mode: 0o700 });
    const credsFiles = new Map<string, string>();
    for (const { name, nodes: _nodes, health: _health, ...registration } of fleet.clusters) {
      const { creds } = await h.registerCluster(name, registration);
      if (!creds) continue;
      const file = join(credsDir, `${name}.creds`);
      await writeFile(file, creds, { mode: 0o600 });
      credsFiles.set(name, file);
    }
    const agents: Agent[] = [];
    for (const c of fleet.clusters.filter((c) => c.health !== "offline")) {
      const a = simulatedAgent(c, natsUrl, o.secondsPerHour, 2_000, credsFiles.get(c.name), trace);
      await a.start();
      agents.push(a);
    }
    let service = "";
    if (o.service) {
      // Through the API, as a user would: validated and admitted like any submission.
      const token = h.adminTokenFile ? (await readFile(h.adminTokenFile, "utf8")).trim() : undefined;
      const res = await fetch(`${h.url}/api/v1/workloads`, {
        method: "POST",
        headers: { "content-type": "application/yaml", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: await readFile(o.service, "utf8"),
      });
      service = res.ok
        ? `  service    ${o.service} submitted; ${trace ? `trace ${o.loadTrace} at ${o.traceSpeed}× from ${o.traceStart} s` : "no load trace"}`
        : `  service    ${o.service} refused: HTTP ${res.status} ${await res.text()}`;
    }
    out(
      [
        "Gantry is up.",
        `  dashboard  ${h.url}/`,
        `  API        ${h.url}/api/v1  (OpenAPI: ${h.url}/api/v1/openapi.json)`,
        `  NATS       ${natsUrl}${nats ? ` (started here; JWT auth: anonymous clients are refused; agents' credentials in ${credsDir})` : ""}`,
        `  database   ${config.databaseUrl ? "PostgreSQL" : `embedded PGlite in ${HubConfig.parse(config).dataDir}`}`,
        `  fleet      ${agents.length} simulated cluster(s) from ${o.fleet}; 1 simulated hour = ${o.secondsPerHour}s`,
        `  admin      token in ${h.adminTokenFile} (mode 0600; the CLI reads it for a hub on this machine)`,
        ...(service ? [service, `  watch      pnpm gantry describe workload chat-inference --hub ${h.url}`] : []),
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
