import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCreds } from "@gantry/agent";
import { decode } from "@nats-io/jwt";
import { createUser } from "@nats-io/nkeys";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type NatsAuthority, openNatsAuthority } from "./authority.ts";
import { agentPermissions } from "./permissions.ts";
import { AUTHORITY_FILE_NAME } from "./state-file.ts";

let root: string;
let dir: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "gantry-authority-"));
  dir = join(root, "nats");
});
afterEach(() => rm(root, { recursive: true, force: true }));

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;
const revocationsIn = (a: NatsAuthority) => Object.fromEntries(a.revocations());
const fixedClock = (iso: string) => ({ now: () => new Date(iso) });

describe("openNatsAuthority", () => {
  it("creates the operator, accounts and SYS user once, in a private folder, and loads them afterwards", async () => {
    const first = await openNatsAuthority({ dir });
    expect(first.operatorPublicKey).toMatch(/^O[A-Z2-7]{55}$/);
    expect(first.accountPublicKey).toMatch(/^A[A-Z2-7]{55}$/);
    expect(first.systemAccountPublicKey).not.toBe(first.accountPublicKey);
    expect(await modeOf(dir)).toBe(0o700);
    expect(await modeOf(join(dir, AUTHORITY_FILE_NAME))).toBe(0o600);

    const again = await openNatsAuthority({ dir });
    expect([again.operatorPublicKey, again.systemAccountPublicKey, again.accountPublicKey]).toEqual([
      first.operatorPublicKey,
      first.systemAccountPublicKey,
      first.accountPublicKey,
    ]);
    // The config of a reopened authority trusts the same chain.
    expect(again.serverConfig({ port: 4222, resolverDir: "/r" })).toBe(
      first.serverConfig({ port: 4222, resolverDir: "/r" }),
    );
  });

  it("agrees on one operator when two processes create the folder at once", async () => {
    const [a, b] = await Promise.all([openNatsAuthority({ dir }), openNatsAuthority({ dir })]);
    expect(a.operatorPublicKey).toBe(b.operatorPublicKey);
    expect(a.accountPublicKey).toBe(b.accountPublicKey);
  });

  it("tightens a state file someone made readable", async () => {
    await openNatsAuthority({ dir });
    await chmod(join(dir, AUTHORITY_FILE_NAME), 0o644);
    await openNatsAuthority({ dir });
    expect(await modeOf(join(dir, AUTHORITY_FILE_NAME))).toBe(0o600);
  });

  it("refuses a state file whose account JWT another operator signed", async () => {
    await openNatsAuthority({ dir });
    const otherDir = join(root, "other");
    await openNatsAuthority({ dir: otherDir });
    const mine = JSON.parse(await readFile(join(dir, AUTHORITY_FILE_NAME), "utf8"));
    const theirs = JSON.parse(await readFile(join(otherDir, AUTHORITY_FILE_NAME), "utf8"));
    await writeFile(join(dir, AUTHORITY_FILE_NAME), JSON.stringify({ ...mine, account: theirs.account }));
    await expect(openNatsAuthority({ dir })).rejects.toMatchObject({ code: "authority_corrupt" });
    await writeFile(join(dir, AUTHORITY_FILE_NAME), "{ not json");
    await expect(openNatsAuthority({ dir })).rejects.toMatchObject({ code: "authority_corrupt" });
    await writeFile(join(dir, AUTHORITY_FILE_NAME), JSON.stringify({ ...mine, version: 2 }));
    await expect(openNatsAuthority({ dir })).rejects.toMatchObject({
      code: "authority_corrupt",
      message: expect.stringContaining("version"),
    });
  });
});

describe("mintUser", () => {
  it("issues a fresh key and a GANTRY user JWT carrying the permissions, as a standard creds file", async () => {
    const authority = await openNatsAuthority({ dir });
    const expiresAt = new Date(Date.now() + 3_600_000);
    const a1 = await authority.mintUser({ name: "a", permissions: agentPermissions("a"), expiresAt });
    const a2 = await authority.mintUser({ name: "a", permissions: agentPermissions("a") });
    expect(a1.publicKey).not.toBe(a2.publicKey);

    // Read back with independent parsers: the agent's creds reader and nats' JWT decoder (which verifies).
    const parsed = parseCreds(a1.creds);
    expect(parsed).toMatchObject({ jwt: a1.jwt, seed: a1.seed, publicKey: a1.publicKey });
    expect(parsed.account).toBe(authority.accountPublicKey);
    const claims = decode<{ pub: unknown; sub: unknown }>(a1.jwt);
    expect(claims).toMatchObject({ sub: a1.publicKey, iss: authority.accountPublicKey, name: "a" });
    expect(claims.exp).toBe(Math.floor(expiresAt.getTime() / 1000));
    expect(claims.nats).toMatchObject({
      pub: { allow: ["gantry.v1.agent.a.>"] },
      sub: { allow: ["gantry.v1.hub.a.>"] },
    });
    expect(a1.expiresAt?.getTime()).toBe(Math.floor(expiresAt.getTime() / 1000) * 1000);
    expect(a2.expiresAt).toBeUndefined();
  });

  it.each([
    [{ name: "", permissions: { publish: [], subscribe: [] } }, "name"],
    [{ name: "a\nb", permissions: { publish: [], subscribe: [] } }, "name"],
    [{ name: "a", permissions: { publish: ["a..b"], subscribe: [] } }, "permissions.publish.0"],
    [{ name: "a", permissions: { publish: [], subscribe: ["a.>.b"] } }, "permissions.subscribe.0"],
  ])("refuses %j naming %s", async (input, field) => {
    const authority = await openNatsAuthority({ dir });
    await expect(authority.mintUser(input)).rejects.toMatchObject({
      code: "invalid_user",
      message: expect.stringContaining(field),
    });
  });

  it("refuses an expiry that is not in the future of its clock", async () => {
    const authority = await openNatsAuthority({ dir, clock: fixedClock("2030-01-01T00:00:00Z") });
    await expect(
      authority.mintUser({
        name: "a",
        permissions: agentPermissions("a"),
        expiresAt: new Date("2030-01-01T00:00:00.900Z"),
      }),
    ).rejects.toMatchObject({ code: "invalid_user", message: expect.stringContaining("expiresAt") });
  });
});

describe("hubCreds", () => {
  it("mints the hub's identity once and keeps it across reopening", async () => {
    const authority = await openNatsAuthority({ dir });
    const [h1, h2] = await Promise.all([authority.hubCreds(), authority.hubCreds()]);
    expect(h1.publicKey).toBe(h2.publicKey);
    const reopened = await openNatsAuthority({ dir });
    const h3 = await reopened.hubCreds();
    expect(h3).toEqual(h1);
    expect(decode<{ pub: { allow: string[] } }>(h3.jwt).nats.pub?.allow).toEqual([
      "gantry.v1.hub.>",
      "gantry.v1.hubs.>",
    ]);
  });
});

describe("revoke", () => {
  it("records the revocation in the account JWT and keeps it across reopening; without servers it is not pushed", async () => {
    const authority = await openNatsAuthority({ dir, clock: fixedClock("2030-01-01T00:00:10.700Z") });
    const victim = await authority.mintUser({ name: "a", permissions: agentPermissions("a") });
    const r = await authority.revoke(victim.publicKey);
    expect(r).toEqual({ publicKey: victim.publicKey, at: new Date("2030-01-01T00:00:10Z"), pushed: false });

    const reopened = await openNatsAuthority({ dir });
    expect(revocationsIn(reopened)).toEqual({ [victim.publicKey]: new Date("2030-01-01T00:00:10Z") });
    // What a server would be given: the preloaded account JWT names the key.
    const config = reopened.serverConfig({ port: 4222, resolverDir: "/r" });
    const accountJwt = new RegExp(`"${reopened.accountPublicKey}": "([^"]+)"`).exec(config)?.[1] ?? "";
    expect(decode<{ revocations: Record<string, number> }>(accountJwt).nats.revocations).toEqual({
      [victim.publicKey]: Math.floor(new Date("2030-01-01T00:00:10Z").getTime() / 1000),
    });
  });

  it("keeps every revocation when several run at once, and never moves one back in time", async () => {
    const authority = await openNatsAuthority({ dir });
    const keys = Array.from({ length: 5 }, () => createUser().getPublicKey());
    await Promise.all(keys.map((k) => authority.revoke(k, new Date("2030-01-01T00:00:00Z"))));
    await authority.revoke(keys[0] ?? "", new Date("2029-01-01T00:00:00Z"));
    const reopened = await openNatsAuthority({ dir });
    expect(Object.keys(revocationsIn(reopened)).sort()).toEqual([...keys].sort());
    expect(reopened.revocations().get(keys[0] ?? "")).toEqual(new Date("2030-01-01T00:00:00Z"));
  });

  it("signs each new account JWT strictly later than the last, so a stale preload cannot win on restart", async () => {
    const authority = await openNatsAuthority({ dir });
    const accountIat = (a: NatsAuthority) => {
      const config = a.serverConfig({ port: 4222, resolverDir: "/r" });
      return decode(new RegExp(`"${a.accountPublicKey}": "([^"]+)"`).exec(config)?.[1] ?? "").iat;
    };
    const issued = [accountIat(authority)];
    for (let i = 0; i < 2; i++) {
      await authority.revoke(createUser().getPublicKey());
      issued.push(accountIat(authority));
    }
    expect(issued[1]).toBeGreaterThan(issued[0] ?? Number.POSITIVE_INFINITY);
    expect(issued[2]).toBeGreaterThan(issued[1] ?? Number.POSITIVE_INFINITY);
  });

  it("gives the hub a new identity after its key is revoked", async () => {
    const authority = await openNatsAuthority({ dir });
    const before = await authority.hubCreds();
    await authority.revoke(before.publicKey);
    const after = await authority.hubCreds();
    expect(after.publicKey).not.toBe(before.publicKey);
    expect((await (await openNatsAuthority({ dir })).hubCreds()).publicKey).toBe(after.publicKey);
  });

  it.each(["", "nope", createUser().getPublicKey().replace(/^U/, "A"), "UABC"])("refuses key %j", async (key) => {
    const authority = await openNatsAuthority({ dir });
    await expect(authority.revoke(key)).rejects.toMatchObject({ code: "invalid_public_key" });
  });

  it("says so when there is no server to push to", async () => {
    const authority = await openNatsAuthority({ dir });
    await expect(authority.pushAccount()).rejects.toMatchObject({ code: "claims_update_failed" });
  });
});
