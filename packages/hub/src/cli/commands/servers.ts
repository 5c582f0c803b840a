import { agentCommand, nonNegative } from "@gantry/agent/cli";
import { Command } from "commander";
import { defaultFleet, defaultService, defaultTrace } from "../assets.ts";
import type { HubFlags, UpFlags } from "./servers-run.ts";

type Out = (text: string) => void;

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

/** `gantry hub`, `gantry agent` and `gantry up`: the long-running parts, loaded on use (the client commands start fast). */
export const serverCommands = (out: Out): Command[] => {
  const hub = hubOptions(new Command("hub").description("run the hub (API, scheduler, NATS bus)")).action(
    async (o: HubFlags) => {
      const { runHub } = await import("./servers-run.ts");
      await runHub(o, out);
    },
  );

  const up = hubOptions(
    new Command("up")
      .description("run everything on this machine: NATS, the hub with its embedded database, a simulated fleet")
      .option("--fleet <file>", "fleet file", defaultFleet())
      .option("--seconds-per-hour <n>", "real seconds per simulated hour", nonNegative("--seconds-per-hour"), 60)
      .option("--load-trace <file>", "requests/s per user region the simulated clusters serve", defaultTrace())
      .option("--trace-speed <n>", "trace seconds per real second", nonNegative("--trace-speed"), 20)
      .option(
        "--trace-start <seconds>",
        "trace time at start (default 09:55, five minutes before the shipped trace's surge)",
        nonNegative("--trace-start"),
        35_700,
      )
      .option("--no-load-trace", "no load trace: the simulated services see no traffic")
      .option("--service <file>", "inference service submitted at start", defaultService())
      .option("--no-service", "submit no inference service at start"),
  ).action(async (o: UpFlags) => {
    const { runUp } = await import("./servers-run.ts");
    await runUp(o, out);
  });

  return [hub, agentCommand(out), up];
};
