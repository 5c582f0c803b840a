import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { Command, InvalidArgumentError } from "commander";

type Out = (text: string) => void;

export interface NatsInitOptions {
  /** The authority's folder: created with new keys on first use, reused after. */
  dir: string;
  /** Where the server listens (in a pod: 0.0.0.0). */
  host: string;
  port: number;
  /** Where the server keeps account JWTs (a persistent volume in a cluster). */
  resolverDir: string;
}

/**
 * Create (or open) the NATS authority and give the nats-server config that trusts it. The hub's own identity is
 * minted here too, so the authority file is complete before it is copied into a Secret: a hub started from that
 * copy needs to write nothing to serve (revocations still write it).
 */
export const initNatsAuthority = async (o: NatsInitOptions): Promise<{ config: string; hubPublicKey: string }> => {
  // Loaded here, not at the top: client commands must not pay for the hub's NATS code at start.
  const { openNatsAuthority } = await import("../../bus/auth/index.ts");
  const authority = await openNatsAuthority({ dir: o.dir });
  const hub = await authority.hubCreds();
  return {
    config: authority.serverConfig({ host: o.host, port: o.port, resolverDir: o.resolverDir }),
    hubPublicKey: hub.publicKey,
  };
};

const port = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65_535) {
    throw new InvalidArgumentError(`--port must be a port number (1-65535), got ${JSON.stringify(value)}`);
  }
  return n;
};

/** `gantry nats init`: what a deployment needs before the first nats-server and hub start (docs/kubernetes.md). */
export const natsCommand = (out: Out): Command => {
  const nats = new Command("nats").description("the NATS authority (operator, account, identities) the hub holds");
  nats
    .command("init <dir>")
    .description("create the NATS authority in <dir> (or reuse it) and write the nats-server config that trusts it")
    .option("--host <host>", "address nats-server binds", "0.0.0.0")
    .option("--port <port>", "nats-server client port", port, 4222)
    .option("--resolver-dir <dir>", "nats-server's account JWT folder (keep it on a volume)", "/data/jwt")
    .option("--config-out <file>", "write the config here (mode 0600) instead of printing it")
    .action(async (dir: string, o: { host: string; port: number; resolverDir: string; configOut?: string }) => {
      const r = await initNatsAuthority({ dir: resolve(dir), host: o.host, port: o.port, resolverDir: o.resolverDir });
      if (!o.configOut) {
        out(r.config.trimEnd());
        return;
      }
      await writeFile(o.configOut, r.config, { mode: 0o600 });
      out(`nats-server config in ${o.configOut}; authority in ${resolve(dir)}/nats-authority.json (keep it secret)`);
      out(`  hub identity ${r.hubPublicKey}; give the authority to the hub as GANTRY_NATS_AUTH_DIR`);
    });
  return nats;
};
