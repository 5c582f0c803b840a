import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root: every Gantry process starts from its CLI there. */
export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const GANTRY_CLI = join(REPO_ROOT, "packages/hub/src/cli/main.ts");
/** The agent's own entry point (what its image runs): the same `agent` command without loading the hub's code. */
const AGENT_CLI = join(REPO_ROOT, "packages/agent/src/cli/main.ts");

export interface ProcessSpec {
  /** A short name for logs and errors (`hub-a`, `agent-edge-c`, `nats`). */
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  /** Where the process's stdout and stderr go (appended across restarts). */
  logFile: string;
  /** Resolves once the process serves; rejects (or times out) otherwise. Called again after each restart. */
  ready: (p: ManagedProcess) => Promise<void>;
  readyTimeoutMs?: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A real OS process the test owns: kill -9, pause and resume it, restart it with the same arguments. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly alive: boolean;
  /** Output seen since the last (re)start; the whole history is in `logFile`. */
  readonly output: string;
  readonly logFile: string;
  /** Send a signal; resolves when the process has exited (SIGKILL, SIGTERM) or at once (SIGSTOP, SIGCONT). */
  signal(signal: NodeJS.Signals): Promise<void>;
  /** `kill -9`: the process dies without cleaning up (no lease release, no drain). */
  kill9(): Promise<void>;
  /** SIGSTOP: frozen, sockets open, timers not running. */
  pause(): Promise<void>;
  /** SIGCONT. */
  resume(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** Start it again with the same command, arguments and environment (same port, same data). */
  restart(): Promise<void>;
  /** Resolves when the current incarnation exits. */
  exited(): Promise<Exit>;
  /** Wait until the output (since the last start) matches. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

const everyProcess = new Set<ManagedProcess>();

// A test run that dies must not leave its servers behind: kill what is still ours, by pid.
process.once("exit", () => {
  for (const p of everyProcess) {
    if (!p.alive) continue;
    try {
      process.kill(p.pid, "SIGCONT");
      process.kill(p.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Spawn a process, tee its output to a log file, and wait until `ready` says it serves. */
export const spawnProcess = async (spec: ProcessSpec): Promise<ManagedProcess> => {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const log: WriteStream = createWriteStream(spec.logFile, { flags: "a" });
  let child: ChildProcess;
  let output = "";
  let exit: Promise<Exit>;
  let running = false;

  const launch = () => {
    output = "";
    log.write(`\n===== ${new Date().toISOString()} start ${spec.command} ${spec.args.join(" ")}\n`);
    child = spawn(spec.command, spec.args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...spec.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    running = true;
    const onData = (chunk: Buffer) => {
      log.write(chunk);
      // Keep enough to find readiness lines and recent log records, bounded.
      output = (output + chunk.toString()).slice(-200_000);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    exit = new Promise<Exit>((resolve) => {
      child.once("exit", (code, signal) => {
        running = false;
        log.write(`\n===== ${new Date().toISOString()} exit code=${code} signal=${signal}\n`);
        resolve({ code, signal });
      });
    });
  };

  const managed: ManagedProcess = {
    name: spec.name,
    get pid() {
      return child.pid ?? -1;
    },
    get alive() {
      return running;
    },
    get output() {
      return output;
    },
    logFile: spec.logFile,
    async signal(signal) {
      if (!running) return;
      const done = exit;
      child.kill(signal);
      if (signal === "SIGKILL" || signal === "SIGTERM" || signal === "SIGINT") await done;
    },
    async kill9() {
      if (!running) return;
      const done = exit;
      // A stopped process still dies of SIGKILL; SIGCONT first keeps that true for any kernel.
      child.kill("SIGCONT");
      child.kill("SIGKILL");
      await done;
    },
    pause: () => managed.signal("SIGSTOP"),
    resume: () => managed.signal("SIGCONT"),
    async stop(graceMs = 5_000) {
      if (!running) return;
      const done = exit;
      child.kill("SIGCONT");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await done;
      clearTimeout(timer);
    },
    async restart() {
      if (running) await managed.kill9();
      launch();
      await waitReady();
    },
    exited: () => exit,
    async waitForOutput(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = pattern.exec(output);
        if (m) return m[0];
        if (!running) throw new Error(`${spec.name} exited while waiting for ${pattern}:\n${output.slice(-3_000)}`);
        if (Date.now() > deadline) throw new Error(`${spec.name}: no ${pattern} within ${timeoutMs} ms`);
        await sleep(50);
      }
    },
  };

  const waitReady = async () => {
    const timeoutMs = spec.readyTimeoutMs ?? 90_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        spec.ready(managed),
        exit.then((e) => {
          throw new Error(`${spec.name} exited (${e.code ?? e.signal}) before it was ready:\n${output.slice(-3_000)}`);
        }),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${spec.name} not ready within ${timeoutMs} ms:\n${output.slice(-3_000)}`)),
            timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      await managed.kill9();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };

  launch();
  everyProcess.add(managed);
  await waitReady();
  return managed;
};

/** Stop every process this test file started that still runs (kill -9: tests do not wait for clean exits). */
export const killAll = async (): Promise<void> => {
  await Promise.all([...everyProcess].map((p) => p.kill9()));
  everyProcess.clear();
};

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
export const waitForPort = async (port: number, timeoutMs = 30_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
};

/** A nats-server bound to 127.0.0.1 on `port`; `restart()` brings it back on the same port (no state: core NATS). */
export const startNatsProcess = (options: { port: number; logDir: string }): Promise<ManagedProcess> =>
  spawnProcess({
    name: "nats",
    command: "nats-server",
    args: ["-a", "127.0.0.1", "-p", String(options.port)],
    logFile: join(options.logDir, "nats.log"),
    ready: () => waitForPort(options.port),
    readyTimeoutMs: 20_000,
  });

/** `node --import tsx packages/hub/src/cli/main.ts …`: one real node process (no wrapper), so signals reach it. */
const gantryArgs = (args: string[], preload: string[] = [], cli = GANTRY_CLI) => [
  "--import",
  "tsx",
  ...preload.flatMap((p) => ["--import", p]),
  cli,
  ...args,
];

export interface HubProcessOptions {
  name: string;
  port: number;
  natsUrl: string;
  /** PostgreSQL URL, or a PGlite data folder. */
  database: { url: string } | { dataDir: string };
  env?: Record<string, string>;
  logDir: string;
}

export interface HubProcess extends ManagedProcess {
  readonly url: string;
  readonly hubId: string;
}

/** A hub replica as operators run it (`gantry hub`), configured through its environment. */
export const startHubProcess = async (o: HubProcessOptions): Promise<HubProcess> => {
  const url = `http://127.0.0.1:${o.port}`;
  const p = await spawnProcess({
    name: o.name,
    command: process.execPath,
    args: gantryArgs(["hub", "--port", String(o.port), "--host", "127.0.0.1"]),
    env: {
      NATS_URL: o.natsUrl,
      GANTRY_HUB_ID: o.name,
      LOG_LEVEL: "info",
      ...("url" in o.database ? { DATABASE_URL: o.database.url } : { GANTRY_DATA_DIR: o.database.dataDir }),
      ...o.env,
    },
    logFile: join(o.logDir, `${o.name}.log`),
    ready: async (self) => {
      await self.waitForOutput(/gantry hub listening on/, 120_000);
    },
    readyTimeoutMs: 120_000,
  });
  return Object.assign(p, { url, hubId: o.name });
};

export interface AgentProcessOptions {
  cluster: string;
  /** Fleet file (JSON or YAML) holding the simulated cluster. */
  fleetFile: string;
  natsUrl: string;
  heartbeatMs: number;
  statusMs: number;
  resyncMs: number;
  secondsPerHour: number;
  /** Shift this process's wall clock (Date) by this much; its monotonic clock stays true, as with real skew. */
  clockOffsetMs?: number;
  logDir: string;
}

const SKEWED_CLOCK = join(REPO_ROOT, "test/faults/support/skewed-clock.ts");

/**
 * A simulated cluster's agent as operators run it (`gantry-agent agent --sim`, the same command as `gantry agent`):
 * its cluster lives and dies with it.
 */
export const startAgentProcess = (o: AgentProcessOptions): Promise<ManagedProcess> =>
  spawnProcess({
    name: `agent-${o.cluster}`,
    command: process.execPath,
    args: gantryArgs(
      [
        "agent",
        "--cluster",
        o.cluster,
        "--sim",
        o.fleetFile,
        "--nats-url",
        o.natsUrl,
        "--seconds-per-hour",
        String(o.secondsPerHour),
        "--heartbeat-ms",
        String(o.heartbeatMs),
        "--status-ms",
        String(o.statusMs),
        "--resync-ms",
        String(o.resyncMs),
      ],
      o.clockOffsetMs ? [SKEWED_CLOCK] : [],
      AGENT_CLI,
    ),
    env: {
      LOG_LEVEL: "info",
      ...(o.clockOffsetMs ? { GANTRY_TEST_CLOCK_OFFSET_MS: String(o.clockOffsetMs) } : {}),
    },
    logFile: join(o.logDir, `agent-${o.cluster}.log`),
    ready: async (self) => {
      await self.waitForOutput(/gantry agent for \S+ \(simulated\) connected/, 90_000);
    },
    readyTimeoutMs: 90_000,
  });
