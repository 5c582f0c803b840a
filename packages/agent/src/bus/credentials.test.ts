import { mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeAccount, encodeUser, fmtCreds } from "@nats-io/jwt";
import { createAccount, createOperator, createUser, fromPublic } from "@nats-io/nkeys";
import type { JwtAuth } from "@nats-io/transport-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AgentCredentials,
  CredentialsError,
  credsFileAuthenticator,
  parseCreds,
  watchCredentials,
} from "./credentials.ts";

const account = createAccount();
const td = new TextDecoder();

/** Creds made by nats' own jwt library, the way the hub's authority makes them. */
const aCreds = async (options: { name?: string; exp?: number } = {}) => {
  const user = createUser();
  const jwt = await encodeUser(options.name ?? "a", user, account, {}, options.exp ? { exp: options.exp } : {});
  return { text: td.decode(fmtCreds(jwt, user)), jwt, publicKey: user.getPublicKey(), seed: td.decode(user.getSeed()) };
};

describe("parseCreds", () => {
  it("reads the JWT and seed of a standard creds file and checks they belong together", async () => {
    const c = await aCreds({ name: "cluster-a", exp: 1_900_000_000 });
    expect(parseCreds(c.text)).toEqual({
      jwt: c.jwt,
      seed: c.seed,
      publicKey: c.publicKey,
      account: account.getPublicKey(),
      name: "cluster-a",
      expiresAt: new Date(1_900_000_000_000),
    });
    expect(parseCreds(c.text.replace(/\n/g, "\r\n")).publicKey).toBe(c.publicKey);
  });

  it("refuses a seed that is not the key the JWT names", async () => {
    const a = await aCreds();
    const b = await aCreds();
    expect(() => parseCreds(a.text.replace(a.seed, b.seed))).toThrow(/not the key the JWT was issued to/);
  });

  it("refuses an account JWT posing as a user's", async () => {
    const operator = createOperator();
    const accountJwt = await encodeAccount("X", account, {}, { signer: operator });
    const a = await aCreds();
    expect(() => parseCreds(a.text.replace(a.jwt, accountJwt))).toThrow(/not a NATS user JWT/);
  });

  it.each([
    ["empty", ""],
    ["no seed block", "-----BEGIN NATS USER JWT-----\na.b.c\n------END NATS USER JWT------\n"],
    ["garbage JWT", "-----BEGIN NATS USER JWT-----\nnot-a-jwt\n------END NATS USER JWT------\n"],
  ])("refuses %s with a typed error", (_what, text) => {
    expect(() => parseCreds(text)).toThrow(CredentialsError);
    try {
      parseCreds(text);
    } catch (error) {
      expect(error).toMatchObject({ code: "credentials_invalid" });
    }
  });
});

describe("credsFileAuthenticator", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "gantry-creds-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const authenticate = (auth: ReturnType<typeof credsFileAuthenticator>, nonce: string) => auth(nonce) as JwtAuth;
  const signedBy = (auth: JwtAuth, nonce: string) =>
    fromPublic(auth.nkey ?? "").verify(new TextEncoder().encode(nonce), Buffer.from(auth.sig ?? "", "base64url"));

  it("reads the file on every connect, so rotated credentials are used, and signs the server's nonce", async () => {
    const path = join(dir, "agent.creds");
    const first = await aCreds();
    const second = await aCreds();
    await writeFile(path, first.text);
    const auth = credsFileAuthenticator(path);
    const a1 = authenticate(auth, "nonce-1");
    expect(a1).toMatchObject({ jwt: first.jwt, nkey: first.publicKey });
    expect(signedBy(a1, "nonce-1")).toBe(true);
    expect(signedBy(a1, "nonce-2")).toBe(false);
    await writeFile(path, second.text);
    expect(authenticate(auth, "nonce-3")).toMatchObject({ jwt: second.jwt, nkey: second.publicKey });
  });

  it("keeps the last good credentials while the file is missing or broken, and says why", async () => {
    const path = join(dir, "agent.creds");
    const good = await aCreds();
    const errors: string[] = [];
    const auth = credsFileAuthenticator(path, { onError: (e) => errors.push(e.code) });
    expect(() => auth("n")).toThrow(expect.objectContaining({ code: "credentials_unreadable" }));
    await writeFile(path, good.text);
    auth("n");
    await writeFile(path, "half-written");
    expect(authenticate(auth, "n").jwt).toBe(good.jwt);
    await unlink(path);
    expect(authenticate(auth, "n").jwt).toBe(good.jwt);
    expect(errors).toEqual(["credentials_unreadable", "credentials_invalid", "credentials_unreadable"]);
  });
});

describe("watchCredentials", () => {
  let volume: string;
  beforeEach(async () => {
    volume = await mkdtemp(join(tmpdir(), "gantry-secret-"));
  });
  afterEach(() => rm(volume, { recursive: true, force: true }));

  /** What the kubelet does: write a new timestamped folder, then swap the `..data` symlink to it. */
  const project = async (version: string, text: string) => {
    await mkdir(join(volume, version));
    await writeFile(join(volume, version, "agent.creds"), text);
    await symlink(version, join(volume, "..data_tmp"));
    await rename(join(volume, "..data_tmp"), join(volume, "..data"));
  };
  const mountedSecret = async (text: string) => {
    await project("..2030_01_01_00_00_00.1", text);
    await symlink(join("..data", "agent.creds"), join(volume, "agent.creds"));
    return join(volume, "agent.creds");
  };

  it("notices a Kubernetes Secret update (symlink swap) once, and not a rewrite with the same content", async () => {
    const first = await aCreds();
    const second = await aCreds();
    const path = await mountedSecret(first.text);
    const seen: AgentCredentials[] = [];
    const watch = watchCredentials(path, (c) => void seen.push(c), { intervalMs: 60_000 });
    try {
      expect(watch.check()).toBe(false);
      await project("..2030_01_01_00_05_00.2", second.text);
      expect(watch.check()).toBe(true);
      expect(watch.check()).toBe(false);
      await project("..2030_01_01_00_10_00.3", second.text);
      expect(watch.check()).toBe(false);
      expect(seen.map((c) => c.publicKey)).toEqual([second.publicKey]);
    } finally {
      watch.close();
    }
  });

  it("skips broken content and reports it, then fires for the next good file; a file missing at start fires when it appears", async () => {
    const path = join(volume, "agent.creds");
    const good = await aCreds();
    const errors: unknown[] = [];
    const seen: string[] = [];
    const watch = watchCredentials(path, (c) => void seen.push(c.publicKey), {
      intervalMs: 60_000,
      onError: (e) => errors.push(e),
    });
    try {
      await writeFile(path, "-----BEGIN NATS USER JWT-----\ntruncated");
      expect(watch.check()).toBe(false);
      await writeFile(path, good.text);
      expect(watch.check()).toBe(true);
      expect(seen).toEqual([good.publicKey]);
      expect(errors.map((e) => (e as CredentialsError).code)).toEqual([
        "credentials_unreadable",
        "credentials_invalid",
      ]);
    } finally {
      watch.close();
    }
  });

  it("polls on its own and reports a failing onChange instead of throwing", async () => {
    const first = await aCreds();
    const second = await aCreds();
    const path = await mountedSecret(first.text);
    const errors: unknown[] = [];
    const fired = new Promise<string>((resolve) => {
      const watch = watchCredentials(
        path,
        async (c) => {
          watch.close();
          resolve(c.publicKey);
          throw new Error("reconnect failed");
        },
        { intervalMs: 20, onError: (e) => errors.push(e) },
      );
    });
    await project("..2030_01_01_00_05_00.2", second.text);
    expect(await fired).toBe(second.publicKey);
    await new Promise((r) => setTimeout(r, 10));
    expect(errors).toEqual([new Error("reconnect failed")]);
  });

  it("refuses an interval that is not a positive integer", () => {
    expect(() => watchCredentials("/x", () => undefined, { intervalMs: 0 })).toThrow(RangeError);
  });
});
