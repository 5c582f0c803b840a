import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./ports.ts";
import { type ManagedProcess, REPO_ROOT, spawnProcess } from "./processes.ts";

const run = promisify(execFile);
const BIN = join(REPO_ROOT, "packages/hub/bin/gantry.mjs");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface GantryUp {
  process: ManagedProcess;
  url: string;
  dataDir: string;
  /** Run the real `gantry` binary against this hub with its admin token; never throws on a non-zero exit. */
  gantry(args: string[], stdin?: string): Promise<CliResult>;
  /** GET an API path (`/workloads/x`) with the admin token; the parsed JSON body. */
  api<T>(path: string): Promise<T>;
  /** The hub's work clock now (simulated under `--seconds-per-hour`). */
  workNow(): Promise<Date>;
  /** SIGTERM, so `gantry up` stops its agents and its detached nats-server; then remove the data folder. */
  stop(): Promise<void>;
}

/** `gantry up` as a user runs it: a child process with its own data folder, HTTP port and NATS port. */
export const startGantryUp = async (o: {
  fleet: string;
  secondsPerHour: number;
  name: string;
  /** Keep the shipped inference service and its load trace (off unless asked: they add spend and traffic). */
  withService?: boolean;
}): Promise<GantryUp> => {
  const dataDir = await mkdtemp(join(tmpdir(), `gantry-up-${o.name}-`));
  const port = await freePort();
  const process_ = await spawnProcess({
    name: `up-${o.name}`,
    command: process.execPath,
    args: [
      BIN,
      "up",
      "--fleet",
      o.fleet,
      "--port",
      String(port),
      "--data-dir",
      dataDir,
      "--seconds-per-hour",
      String(o.secondsPerHour),
      // Scenarios about billing and staging leave out the shipped inference service: it adds spend and traffic.
      ...(o.withService ? [] : ["--no-service"]),
    ],
    env: { LOG_LEVEL: "warn" },
    logFile: join(dataDir, "up.log"),
    ready: async (self) => {
      await self.waitForOutput(/Gantry is up\./, 120_000);
    },
    readyTimeoutMs: 120_000,
  });
  const url = `http://127.0.0.1:${port}`;
  const token = (await readFile(join(dataDir, "admin.token"), "utf8")).trim();
  const gantry = async (args: string[], stdin?: string): Promise<CliResult> => {
    try {
      const child = run(process.execPath, [BIN, "--hub", url, ...args], {
        cwd: REPO_ROOT,
        env: { ...process.env, LOG_LEVEL: "silent", GANTRY_TOKEN: token },
      });
      if (stdin !== undefined) child.child.stdin?.end(stdin);
      const r = await child;
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };
  return {
    process: process_,
    url,
    dataDir,
    gantry,
    async api<T>(path: string): Promise<T> {
      const r = await fetch(`${url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
      if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
      return (await r.json()) as T;
    },
    async workNow() {
      const r = await fetch(`${url}/healthz`);
      const body = (await r.json()) as { workClock: { now: string } };
      return new Date(body.workClock.now);
    },
    async stop() {
      await process_.stop(10_000);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
};
