import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openNatsAuthority } from "../../bus/auth/index.ts";
import { natsCommand } from "./nats.ts";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const run = async (args: string[]) => {
  const lines: string[] = [];
  const cmd = natsCommand((t) => lines.push(t)).exitOverride();
  await cmd.parseAsync(args, { from: "user" });
  return lines.join("\n");
};

describe("gantry nats config", () => {
  it("prints a config trusting the same operator the hub's authority folder holds", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gantry-nats-"));
    dirs.push(dir);
    const text = await run(["config", "--auth-dir", dir, "--resolver-dir", "/var/lib/nats/jwt", "--port", "4333"]);
    const authority = await openNatsAuthority({ dir });
    expect(text).toContain("4333");
    expect(text).toContain("/var/lib/nats/jwt");
    expect(text).toContain(authority.systemAccountPublicKey);
    // The account JWT the hub signs agents under is preloaded, so agents can connect before any push.
    expect(text).toContain(authority.accountPublicKey);
  });

  it("refuses a port that is not a number, naming the flag", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gantry-nats-"));
    dirs.push(dir);
    await expect(run(["config", "--auth-dir", dir, "--resolver-dir", "/x", "--port", "nope"])).rejects.toThrow(
      /--port must be a port number/,
    );
  });
});
