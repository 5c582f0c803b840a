import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  type Agent,
  createAgent,
  createSimulatedDriver,
  load,
  readFleet,
  type SimulatedLoad,
  startTracing,
  untilSignal,
} from "@gantry/agent";
import type { FleetCluster } from "@gantry/shared";
import { type NatsAuthority, openNatsAuthority } from "../../bus/auth/index.ts";
import { type RunningNatsServer, startNatsServer } from "../../bus/nats-server.ts";
import { ConfigError, type HubConfigInput, hubConfigFromEnv, parseHubConfig } from "../../config.ts";
import { createHub } from "../../hub.ts";
import { type ClockAnchor, continueAnchor, simulatedWorkClock, type WorkClock } from "../../util/clock.ts";
import { createLogger } from "../../util/logger.ts";
import { preferredOrFreePort } from "../../util/ports.ts";
import { ExitCode } from "../exit-codes.ts";
import { CliError } from "../output.ts";

type Out = (text: string) => void;

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

export interface HubFlags {
  port?: number;
  host?: string;
  dataDir?: string;
  databaseUrl?: string;
  natsUrl?: string;
  natsAuthDir?: string;
  natsCreds?: string;
}

export interface UpFlags extends HubFlags {
  fleet: string;
  secondsPerHour: number;
  loadTrace?: string | false;
  traceSpeed: number;
  traceStart: number;
  service?: string | false;
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

/** The flag that sets each field, for errors: a flag overrides its environment variable. */
const FLAG_OF: Partial<Record<keyof HubConfigInput, string>> = {
  port: "--port",
  host: "--host",
  dataDir: "--data-dir",
  databaseUrl: "--database-url",
  natsUrl: "--nats-url",
  natsAuthDir: "--nats-auth-dir",
  natsCreds: "--nats-creds",
};

/**
 * The settings checked before anything starts: a misspelt variable (`GANTRY_ENGINE_THREAD=ture`) is a usage error
 * naming the variable (exit 2), not a stack trace from deep in the hub.
 */
const checked = (config: HubConfigInput, o: HubFlags) => {
  const flags = Object.fromEntries(
    Object.entries(FLAG_OF).filter(([k]) => o[k as keyof HubFlags] !== undefined && o[k as keyof HubFlags] !== ""),
  ) as Partial<Record<keyof HubConfigInput, string>>;
  try {
    return parseHubConfig(config, flags);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(`error: ${e.code}: ${e.message}`, ExitCode.usage);
    throw e;
  }
};

/**
 * The hub's work clock for a simulated fleet: one hour every `secondsPerHour` real seconds, like the agents' work, so
 * billed hours, budgets and burst waits agree with the estimates. It continues the previous run's clock (kept in the
 * data folder) so work time never goes back over what the database holds. 0 (work finishes at once) and 3600 keep
 * the process clock.
 */
const workClockFor = async (dataDir: string, secondsPerHour: number): Promise<WorkClock | undefined> => {
  if (secondsPerHour <= 0 || secondsPerHour === 3_600) return undefined;
  const file = join(dataDir, "work-clock.json");
  let previous: ClockAnchor | undefined;
  try {
    const saved = JSON.parse(await readFile(file, "utf8")) as Partial<ClockAnchor>;
    if (
      typeof saved.realMs === "number" &&
      typeof saved.workMs === "number" &&
      typeof saved.secondsPerHour === "number" &&
      saved.secondsPerHour > 0
    ) {
      previous = { realMs: saved.realMs, workMs: saved.workMs, secondsPerHour: saved.secondsPerHour };
    }
  } catch {
    // No earlier run (or an unreadable file): start at the process clock.
  }
  const anchor = continueAnchor(previous, Date.now(), secondsPerHour);
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${JSON.stringify(anchor)}\n`);
  return simulatedWorkClock(anchor);
};

/** `gantry hub`: the hub alone, until a signal stops it. */
export const runHub = async (o: HubFlags, out: Out): Promise<void> => {
  const config = flagsToConfig(o);
  checked(config, o);
  const stopTracing = await startTracing("gantry-hub");
  const h = await createHub({ config });
  await h.start();
  out(`gantry hub listening on ${h.url}`);
  await untilSignal(async () => {
    await h.close();
    await stopTracing();
  });
  // Stopped: leave now rather than wait for timers a library may still hold.
  process.exit(0);
};

/** `gantry up`: NATS, the hub with its embedded database and one simulated agent per cluster, in this process. */
export const runUp = async (o: UpFlags, out: Out): Promise<void> => {
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
  // Everything on one machine: mint the first admin token where the CLI will find it. A fleet of a few clusters
  // decides in microseconds: the engine thread (an isolate of its own, tens of MiB) is left off unless asked for.
  const config = { engineThread: false, ...env, auth: { ...env.auth, bootstrapAdminToken: true } };
  const settings = checked(config, o);
  const stopTracing = await startTracing("gantry");
  let nats: RunningNatsServer | undefined;
  // Absolute: nats-server reads its resolver folder from the config file, whatever its working directory.
  const dataDir = resolve(settings.dataDir);
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
  const natsUrl = config.natsUrl ?? settings.natsUrl;
  const workClock = await workClockFor(dataDir, o.secondsPerHour);
  const h = await createHub({
    config,
    ...(authority ? { natsAuthority: authority } : {}),
    ...(workClock ? { workClock } : {}),
  });
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
  // The dashboard signs in with the admin token from the URL's fragment, which the browser keeps to itself (never
  // sent to a server, so never in an access log) and the page drops from the address bar at once.
  const adminToken = h.adminTokenFile ? (await readFile(h.adminTokenFile, "utf8")).trim() : undefined;
  let service = "";
  if (o.service) {
    // Through the API, as a user would: validated and admitted like any submission.
    const res = await fetch(`${h.url}/api/v1/workloads`, {
      method: "POST",
      headers: { "content-type": "application/yaml", ...(adminToken ? { authorization: `Bearer ${adminToken}` } : {}) },
      body: await readFile(o.service, "utf8"),
    });
    service = res.ok
      ? `  service    ${o.service} submitted; ${trace ? `trace ${o.loadTrace} at ${o.traceSpeed}× from ${o.traceStart} s` : "no load trace"}`
      : `  service    ${o.service} refused: HTTP ${res.status} ${await res.text()}`;
  }
  out(
    [
      "Gantry is up.",
      `  dashboard  ${h.url}/${adminToken ? `#token=${adminToken}` : ""}`,
      `  API        ${h.url}/api/v1  (OpenAPI: ${h.url}/api/v1/openapi.json)`,
      `  NATS       ${natsUrl}${nats ? ` (started here; JWT auth: anonymous clients are refused; agents' credentials in ${credsDir})` : ""}`,
      `  database   ${config.databaseUrl ? "PostgreSQL" : `embedded PGlite in ${settings.dataDir}`}`,
      `  fleet      ${agents.length} simulated cluster(s) from ${o.fleet}; 1 simulated hour = ${o.secondsPerHour}s`,
      `  clock      ${workClock ? `simulated for billing, budgets, burst waits and drain-back: now ${workClock.now().toISOString()}` : "real time"} (heartbeats and failover: real time)`,
      `  admin      token in ${h.adminTokenFile} (mode 0600; the CLI reads it for a hub on this machine)`,
      ...(service ? [service, `  watch      gantry describe workload chat-inference --hub ${h.url}`] : []),
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
};
