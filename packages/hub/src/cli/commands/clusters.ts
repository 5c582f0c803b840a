import { writeFile } from "node:fs/promises";
import { Command } from "commander";
import { clientFor } from "../client.ts";
import { CliError, parseFormat, render, table } from "../output.ts";

type Out = (text: string) => void;

interface RegisteredView {
  cluster: { name: string; state: string };
  credentials?: string;
  publicKey?: string;
}

/** Write the agent's credentials to a file (mode 0600), or say plainly where they went. */
const handOver = async (out: Out, name: string, r: RegisteredView, file: string | undefined): Promise<void> => {
  if (!r.credentials) {
    out(`cluster/${name} ${r.cluster.state} (the hub's bus has no authentication: no credentials to hand over)`);
    return;
  }
  if (file) {
    await writeFile(file, r.credentials, { mode: 0o600 });
    out(`cluster/${name} ${r.cluster.state}; its agent's NATS credentials are in ${file} (mode 0600, shown once)`);
    out(`  run its agent with --creds ${file}, or put the file in the agent's Secret (key: agent.creds)`);
    return;
  }
  out(r.credentials.trimEnd());
};

/** `gantry cluster add|approve|revoke|rotate|remove`: operators register clusters and manage their identities. */
export const clusterCommands = (out: Out): Command => {
  const cluster = new Command("cluster").description("register clusters and manage their agents' credentials");

  cluster
    .command("add <name>")
    .description("register a cluster (it gets work) and mint its agent's NATS credentials")
    .option("--tier <tier>", "cloud | onprem | edge (else what its agent reports)")
    .option("--region <region>", "region (else what its agent reports)")
    .option("--provider <provider>", "provider (else what its agent reports)")
    .option("--creds-out <file>", "write the credentials here (mode 0600) instead of printing them")
    .action(async (name: string, o: { tier?: string; region?: string; provider?: string; credsOut?: string }, cmd) => {
      const { Tier } = await import("@gantry/shared");
      if (o.tier !== undefined && !Tier.safeParse(o.tier).success) {
        throw new CliError(`--tier must be one of ${Tier.options.join(", ")} (got ${JSON.stringify(o.tier)})`, 2);
      }
      const body = JSON.stringify({
        name,
        ...(o.tier ? { tier: o.tier } : {}),
        ...(o.region ? { region: o.region } : {}),
        ...(o.provider ? { provider: o.provider } : {}),
      });
      const r = (await clientFor(cmd).post("/clusters", body, "application/json")) as RegisteredView;
      await handOver(out, name, r, o.credsOut);
    });

  cluster
    .command("approve <name>")
    .description("approve a pending cluster (its agent said hello unregistered) and mint its credentials")
    .option("--creds-out <file>", "write the credentials here (mode 0600) instead of printing them")
    .action(async (name: string, o: { credsOut?: string }, cmd) => {
      const r = (await clientFor(cmd).post(
        `/clusters/${encodeURIComponent(name)}/approve`,
        "",
        "application/json",
      )) as RegisteredView;
      await handOver(out, name, r, o.credsOut);
    });

  cluster
    .command("rotate <name>")
    .description("mint new credentials; the old ones keep working for the grace period, then are revoked")
    .option("--grace <seconds>", "how long the old credentials keep working", "600")
    .option("--creds-out <file>", "write the new credentials here (mode 0600) instead of printing them")
    .action(async (name: string, o: { grace: string; credsOut?: string }, cmd) => {
      const grace = Number(o.grace);
      if (!Number.isInteger(grace) || grace < 0)
        throw new CliError(`--grace must be whole seconds (got ${o.grace})`, 2);
      const r = (await clientFor(cmd).post(
        `/clusters/${encodeURIComponent(name)}/rotate?graceSeconds=${grace}`,
        "",
        "application/json",
      )) as RegisteredView;
      await handOver(out, name, r, o.credsOut);
    });

  cluster
    .command("revoke <name>")
    .description("cut a cluster's agent off the bus now; it gets no more work")
    .action(async (name: string, _o: unknown, cmd) => {
      await clientFor(cmd).post(`/clusters/${encodeURIComponent(name)}/revoke`, "", "application/json");
      out(`cluster/${name} revoked: its agent is cut off and its credentials refused`);
    });

  cluster
    .command("remove <name>")
    .description("forget a cluster that holds no active placements")
    .action(async (name: string, _o: unknown, cmd) => {
      await clientFor(cmd).delete(`/clusters/${encodeURIComponent(name)}`);
      out(`cluster/${name} removed`);
    });

  cluster
    .command("list")
    .description("clusters with their registration state (pending ones wait for approval)")
    .option("--state <state>", "registered | pending | revoked")
    .option("-o, --output <format>", "table | json | yaml", "table")
    .action(async (o: { state?: string; output: string }, cmd) => {
      const q = new URLSearchParams({ limit: "1000", ...(o.state ? { state: o.state } : {}) });
      const { items } = (await clientFor(cmd).get(`/clusters?${q}`)) as {
        items: {
          name: string;
          tier: string;
          region: string;
          state: string;
          health: string;
          lastSeenAt: string | null;
        }[];
      };
      out(
        render(items, parseFormat(o.output), () =>
          table(
            ["NAME", "STATE", "TIER", "REGION", "HEALTH", "LAST SEEN"],
            items.map((c) => [c.name, c.state, c.tier, c.region, c.health, c.lastSeenAt ?? "-"]),
          ),
        ),
      );
    });

  return cluster;
};
