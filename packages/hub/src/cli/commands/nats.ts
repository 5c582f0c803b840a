import { resolve } from "node:path";
import { Command } from "commander";
import { openNatsAuthority } from "../../bus/auth/index.ts";
import { CliError } from "../output.ts";

type Out = (text: string) => void;

/**
 * `gantry nats config`: the nats-server configuration for a bus the hub's authority governs, for operators who run
 * their own NATS (Helm, systemd) rather than the one `gantry up` starts. The hub and this command share the authority
 * folder, so the server trusts exactly the operator whose keys the hub signs agents' identities with.
 */
export const natsCommand = (out: Out): Command => {
  const nats = new Command("nats").description("the NATS authority the hub signs agents' identities with");
  nats
    .command("config")
    .description("print a nats-server config trusting this authority (created in --auth-dir if missing)")
    .requiredOption("--auth-dir <dir>", "the authority's folder (the hub's GANTRY_NATS_AUTH_DIR)")
    .requiredOption("--resolver-dir <dir>", "where nats-server keeps account JWTs (absolute path on the server)")
    .option("--port <n>", "client port", "4222")
    .option("--host <host>", "address to bind", "0.0.0.0")
    .action(async (o: { authDir: string; resolverDir: string; port: string; host: string }) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 1 || port > 65_535) {
        throw new CliError(`--port must be a port number (1-65535), got ${JSON.stringify(o.port)}`);
      }
      const authority = await openNatsAuthority({ dir: resolve(o.authDir) });
      try {
        out(authority.serverConfig({ port, host: o.host, resolverDir: o.resolverDir }));
      } catch (e) {
        throw new CliError(e instanceof Error ? e.message : String(e));
      }
    });
  return nats;
};
