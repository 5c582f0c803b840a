import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, credsAuthenticator } from "@nats-io/transport-node";
import { afterAll, describe, expect, it } from "vitest";
import { startNatsServer } from "../../bus/nats-server.ts";
import { freePort } from "../../util/ports.ts";
import { initNatsAuthority, natsCommand } from "./nats.ts";

const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), "gantry-nats-init-"));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("gantry nats init", () => {
  it("writes a config nats-server accepts, and reuses the authority on a second run", async () => {
    const d = await tmp();
    const authority = join(d, "authority");
    const first = await initNatsAuthority({ dir: authority, host: "0.0.0.0", port: 4222, resolverDir: "/data/jwt" });
    expect(first.config).toContain('host: "0.0.0.0"');
    expect(first.config).toContain('dir: "/data/jwt"');
    const file = join(d, "nats-server.conf");
    await writeFile(file, first.config);
    const check = spawnSync("nats-server", ["-t", "-c", file], { encoding: "utf8" });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);

    const state = JSON.parse(await readFile(join(authority, "nats-authority.json"), "utf8")) as { hub?: unknown };
    // The hub's identity is in the file already: a hub started from a copy of it writes nothing.
    expect(state.hub).toBeDefined();
    const again = await initNatsAuthority({ dir: authority, host: "0.0.0.0", port: 4222, resolverDir: "/data/jwt" });
    expect(again).toEqual(first);
  });

  it("gives a server that admits the hub's identity and refuses anonymous clients", async () => {
    const d = await tmp();
    const port = await freePort();
    const { config } = await initNatsAuthority({
      dir: join(d, "authority"),
      host: "127.0.0.1",
      port,
      resolverDir: join(d, "jwt"),
    });
    const server = await startNatsServer({ port, config: { dir: join(d, "server"), text: config } });
    try {
      const state = JSON.parse(await readFile(join(d, "authority/nats-authority.json"), "utf8")) as {
        hub: { jwt: string; seed: string };
      };
      const creds = new TextEncoder().encode(
        `-----BEGIN NATS USER JWT-----\n${state.hub.jwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${state.hub.seed}\n------END USER NKEY SEED------\n`,
      );
      const nc = await connect({ servers: server.url, authenticator: credsAuthenticator(creds) });
      await nc.flush();
      await nc.close();
      await expect(connect({ servers: server.url, reconnect: false })).rejects.toThrow(/authoriz/i);
    } finally {
      await server.stop();
    }
  });

  it("writes the config to --config-out with mode 0600", async () => {
    const d = await tmp();
    const lines: string[] = [];
    const out = join(d, "nats-server.conf");
    await natsCommand((t) => lines.push(t)).parseAsync(
      ["init", join(d, "authority"), "--port", "4333", "--config-out", out],
      { from: "user" },
    );
    expect(await readFile(out, "utf8")).toContain("port: 4333");
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    expect(lines.join("\n")).toContain("GANTRY_NATS_AUTH_DIR");
  });
});
