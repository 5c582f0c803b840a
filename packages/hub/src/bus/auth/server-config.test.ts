import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAccount, createOperator } from "@nats-io/nkeys";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signGantryAccount, signOperator, signSystemAccount } from "./claims.ts";
import { serverConfigText, type TrustedJwts } from "./server-config.ts";

let trusted: TrustedJwts;
let sysKey: string;
let accountKey: string;
const dir = mkdtempSync(join(tmpdir(), "gantry-server-config-"));

beforeAll(async () => {
  const operator = createOperator();
  const sys = createAccount();
  const account = createAccount();
  sysKey = sys.getPublicKey();
  accountKey = account.getPublicKey();
  trusted = {
    operatorJwt: await signOperator(operator, sysKey),
    systemAccountPublicKey: sysKey,
    accounts: {
      [sysKey]: await signSystemAccount(sys, operator),
      [accountKey]: await signGantryAccount(account, operator, {}),
    },
  };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** nats-server's own verdict on a config (`-t`: parse, validate, exit). */
const natsServerAccepts = (text: string): { ok: boolean; output: string } => {
  const path = join(dir, `c-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(path, text);
  const run = spawnSync("nats-server", ["-t", "-c", path], { encoding: "utf8" });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
};

describe("serverConfigText", () => {
  it("trusts the operator, names SYS, runs a full resolver and preloads both accounts", () => {
    const text = serverConfigText({ port: 4222, resolverDir: "/var/lib/gantry/jwt" }, trusted);
    expect(text).toContain("port: 4222\n");
    expect(text).toContain('host: "127.0.0.1"\n');
    expect(text).toContain(`operator: "${trusted.operatorJwt}"\n`);
    expect(text).toContain(`system_account: "${sysKey}"\n`);
    expect(text).toMatch(/resolver: \{\n {2}type: full\n {2}dir: "\/var\/lib\/gantry\/jwt"\n {2}allow_delete: false\n/);
    expect(text).toContain(`  "${sysKey}": "${trusted.accounts[sysKey]}"\n`);
    expect(text).toContain(`  "${accountKey}": "${trusted.accounts[accountKey]}"\n`);
    expect(text).not.toContain("jetstream");
  });

  it("is accepted by nats-server, with and without JetStream and extra text", () => {
    const plain = serverConfigText({ port: 4222, resolverDir: join(dir, "resolver dir") }, trusted);
    expect(natsServerAccepts(plain)).toMatchObject({ ok: true });
    const withJs = serverConfigText(
      { port: 4222, resolverDir: join(dir, "r2"), jetstream: { storeDir: join(dir, "js") }, extra: "http_port: 8222" },
      trusted,
    );
    expect(withJs).toContain(`jetstream: { store_dir: "${join(dir, "js")}" }\n`);
    expect(withJs.trimEnd().endsWith("http_port: 8222")).toBe(true);
    expect(natsServerAccepts(withJs)).toMatchObject({ ok: true });
    // The check can fail: an operator JWT whose signature is not the operator's own is refused.
    const [header, payload] = trusted.operatorJwt.split(".");
    const forged = `${header}.${payload}.${trusted.accounts[sysKey]?.split(".")[2]}`;
    const refused = natsServerAccepts(
      serverConfigText({ port: 4222, resolverDir: "/r" }, { ...trusted, operatorJwt: forged }),
    );
    expect(refused).toMatchObject({ ok: false, output: expect.stringContaining("signature verification") });
  });

  it.each([
    [{ port: 0, resolverDir: "/r" }, "port"],
    [{ port: 4222, resolverDir: "relative/dir" }, "resolverDir"],
    [{ port: 4222, resolverDir: '/r"; operator: "x' }, "resolverDir"],
    [{ port: 4222, resolverDir: "/r\nport: 1" }, "resolverDir"],
    [{ port: 4222, resolverDir: "/r", host: "0.0.0.0; x" }, "host"],
    [{ port: 4222, resolverDir: "/r", jetstream: { storeDir: "js" } }, "jetstream.storeDir"],
  ])("refuses %j naming %s", (options, field) => {
    expect(() => serverConfigText(options, trusted)).toThrow(
      expect.objectContaining({ code: "invalid_server_config", message: expect.stringContaining(field) }),
    );
  });

  it("refuses a trusted value that could break out of its quotes", () => {
    expect(() => serverConfigText({ port: 4222, resolverDir: "/r" }, { ...trusted, operatorJwt: 'x" }' })).toThrow(
      expect.objectContaining({ code: "authority_corrupt" }),
    );
  });
});
