import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { connect } from "node:net";

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

/**
 * Start a private `nats-server` bound to 127.0.0.1 (the Debian build binds every interface unless
 * told otherwise). Used by `gantry up` and by tests that need a server they can stop.
 */
export const startNatsServer = async (options: { port: number; args?: string[] }): Promise<RunningNatsServer> => {
  if (!natsServerInstalled()) throw new NatsServerMissingError();
  const child = spawn("nats-server", ["-a", "127.0.0.1", "-p", String(options.port), ...(options.args ?? [])], {
    stdio: ["ignore", "ignore", "pipe"],
  });
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
