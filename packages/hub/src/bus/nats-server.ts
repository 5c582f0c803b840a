import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";

/** Raised when `nats-server` is not on PATH; the message says how to install it. */
export class NatsServerMissingError extends Error {
  readonly code = "nats_server_missing";
  constructor() {
    super(
      "nats-server was not found on PATH. Install it (Debian/Ubuntu: `sudo apt-get install -y nats-server`) " +
        "or point Gantry at a running server with NATS_URL=nats://host:4222.",
    );
    this.name = "NatsServerMissingError";
  }
}

export interface RunningNatsServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export const natsServerInstalled = (): boolean =>
  spawnSync("nats-server", ["--version"], { stdio: "ignore" }).status === 0;

const waitForPort = async (port: number, child: ChildProcess, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with code ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nats-server did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
};

/** A generated config (e.g. `NatsAuthority.serverConfig`) and the folder it is written to. */
export interface NatsServerConfigFile {
  /** Created if missing (mode 0700); the config lands in `nats-server.conf` there (mode 0600). */
  dir: string;
  text: string;
}

export const NATS_SERVER_CONFIG_NAME = "nats-server.conf";

/**
 * Start a private `nats-server` bound to 127.0.0.1 (the Debian build binds every interface unless
 * told otherwise). Used by `gantry up` and by tests that need a server they can stop. With
 * `config`, the server runs from that file; `-a 127.0.0.1 -p <port>` still win over what it says.
 */
export const startNatsServer = async (options: {
  port: number;
  args?: string[];
  config?: NatsServerConfigFile;
  /**
   * Run it in its own process group, so a terminal's Ctrl-C (sent to the whole foreground group) does not kill it
   * before the hub has drained; a small watchdog shell still ends it if this process dies without stopping it.
   */
  detached?: boolean;
}): Promise<RunningNatsServer> => {
  if (!natsServerInstalled()) throw new NatsServerMissingError();
  const configArgs: string[] = [];
  if (options.config) {
    await mkdir(options.config.dir, { recursive: true, mode: 0o700 });
    const path = join(options.config.dir, NATS_SERVER_CONFIG_NAME);
    await writeFile(path, options.config.text, { mode: 0o600 });
    await chmod(path, 0o600);
    configArgs.push("-c", path);
  }
  const args = [...configArgs, "-a", "127.0.0.1", "-p", String(options.port), ...(options.args ?? [])];
  const child = options.detached
    ? spawn(
        "sh",
        [
          "-c",
          // Start the server, then watch the parent: when it is gone (even kill -9), stop the server too.
          'nats-server "$@" & s=$!; trap "kill $s 2>/dev/null" TERM INT; while kill -0 $PPID 2>/dev/null && kill -0 $s 2>/dev/null; do sleep 1; done; kill $s 2>/dev/null; wait $s',
          "nats-server",
          ...args,
        ],
        { stdio: ["ignore", "ignore", "pipe"], detached: true },
      )
    : spawn("nats-server", args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  try {
    await waitForPort(options.port, child, 10_000);
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return {
    url: `nats://127.0.0.1:${options.port}`,
    port: options.port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
};
