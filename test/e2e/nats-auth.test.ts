import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credsFileAuthenticator, watchCredentials } from "@gantry/agent";
import { agentPermissions, hubPermissions, type NatsAuthError, openNatsAuthority } from "@gantry/hub";
import { agentInboxPrefix, subjects } from "@gantry/shared";
import { connect, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { type AuthNats, connectWithCreds, recordStatus, startAuthNats } from "../support/nats-auth.ts";
import { eventually } from "../support/stack.ts";

/** Everything a subscription received, by subject. */
const collect = (nc: NatsConnection, subject: string) => {
  const got: Msg[] = [];
  const errors: Error[] = [];
  const sub = nc.subscribe(subject, {
    callback: (error, msg) => {
      if (error) errors.push(error);
      else got.push(msg);
    },
  });
  return { got, errors, sub, subjects: () => got.map((m) => m.subject) };
};

const errorsOf = (log: ReturnType<typeof recordStatus>) =>
  log.events.flatMap((e) => (e.status.type === "error" ? [e.status.error] : []));

const agentCreds = (nats: AuthNats, cluster: string) =>
  nats.authority.mintUser({ name: cluster, permissions: agentPermissions(cluster) });

describe("identities on the NATS bus", () => {
  let nats: AuthNats | undefined;
  const open: NatsConnection[] = [];
  const track = <T extends NatsConnection>(nc: T): T => {
    open.push(nc);
    return nc;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((nc) => nc.close().catch(() => undefined)));
    await nats?.close();
    nats = undefined;
  });

  it("refuses an anonymous connection and a user signed by another operator", async () => {
    nats = await startAuthNats();
    await expect(connect({ servers: nats.url, maxReconnectAttempts: 0 })).rejects.toMatchObject({
      name: "AuthorizationError",
      message: "Authorization Violation",
    });
    const strangerDir = await mkdtemp(join(tmpdir(), "gantry-stranger-"));
    try {
      const stranger = await openNatsAuthority({ dir: strangerDir });
      const forged = await stranger.mintUser({ name: "a", permissions: agentPermissions("a") });
      await expect(connectWithCreds(nats.url, forged.creds)).rejects.toMatchObject({ name: "AuthorizationError" });
    } finally {
      await rm(strangerDir, { recursive: true, force: true });
    }
    // The authority's own identities are accepted.
    const hub = track(await connectWithCreds(nats.url, (await nats.authority.hubCreds()).creds));
    await hub.flush();
  });

  it("confines cluster a's agent to its own subjects, and only the hub speaks to agents", async () => {
    nats = await startAuthNats();
    const hub = track(await connectWithCreds(nats.url, (await nats.authority.hubCreds()).creds));
    const a = track(
      await connectWithCreds(nats.url, (await agentCreds(nats, "a")).creds, { inboxPrefix: agentInboxPrefix("a") }),
    );
    const aListener = track(await connectWithCreds(nats.url, (await agentCreds(nats, "a")).creds));
    const b = track(await connectWithCreds(nats.url, (await agentCreds(nats, "b")).creds));
    const aStatus = recordStatus(a);

    const heardByHub = collect(hub, "gantry.v1.agent.>");
    const heardByA = collect(aListener, `${subjects.hubPrefix("a")}.>`);
    const heardByB = collect(b, `${subjects.hubPrefix("b")}.>`);
    await Promise.all([hub.flush(), aListener.flush(), b.flush()]);

    // a speaks for b: the server drops it and tells a.
    a.publish(subjects.heartbeat("b"), "{}");
    // Same connection, later: when the hub has this one, it would already have had the forbidden one.
    a.publish(subjects.heartbeat("a"), "{}");
    await eventually(async () => (heardByHub.got.length > 0 ? true : undefined), "the hub to hear a's heartbeat");
    expect(heardByHub.subjects()).toEqual([subjects.heartbeat("a")]);
    await eventually(
      async () => errorsOf(aStatus).find((e) => e.name === "PermissionViolationError"),
      "a to be told about its publish",
    );
    expect(errorsOf(aStatus)[0]?.message).toContain(`Publish to "${subjects.heartbeat("b")}"`);

    // a listens to b's desired state: the subscription is refused.
    const eavesdrop = collect(a, `${subjects.hubPrefix("b")}.>`);
    await eventually(async () => eavesdrop.errors[0], "a's subscription to b's subjects to be refused");
    expect(eavesdrop.errors[0]).toMatchObject({ name: "PermissionViolationError", operation: "subscription" });

    // a poses as the hub towards itself: dropped (flush: the server has handled the PUB when PONG comes back).
    a.publish(subjects.desired("a"), '{"forged":true}');
    await a.flush();
    hub.publish(subjects.desired("a"), '{"forged":false}');
    hub.publish(subjects.desired("b"), '{"forged":false}');
    await eventually(async () => (heardByA.got.length > 0 ? true : undefined), "a to hear the hub");
    await eventually(async () => (heardByB.got.length > 0 ? true : undefined), "b to hear the hub");
    expect(heardByA.got.map((m) => m.string())).toEqual(['{"forged":false}']);
    expect(eavesdrop.got).toEqual([]);

    // Request/reply through a's own inbox prefix: the hub answers on gantry.v1.hub.a.inbox.….
    hub.subscribe(subjects.allSync, { callback: (_e, msg) => void msg.respond(`synced ${msg.subject}`) });
    await hub.flush();
    const reply = await a.request(subjects.sync("a"), "{}", { timeout: 3_000 });
    expect(reply.string()).toBe(`synced ${subjects.sync("a")}`);
    // Without the prefix, nats.js's default inbox (_INBOX.>) is not a's to subscribe to.
    const noPrefix = track(await connectWithCreds(nats.url, (await agentCreds(nats, "a")).creds));
    await expect(noPrefix.request(subjects.sync("a"), "{}", { timeout: 2_000 })).rejects.toThrow();
  });

  it("lets hub replicas talk among themselves, and keeps agents out of it", async () => {
    nats = await startAuthNats();
    const hubCreds = (await nats.authority.hubCreds()).creds;
    const leader = track(await connectWithCreds(nats.url, hubCreds));
    const follower = track(await connectWithCreds(nats.url, hubCreds));
    const a = track(await connectWithCreds(nats.url, (await agentCreds(nats, "a")).creds));
    leader.subscribe("gantry.v1.hubs.leader", { callback: (_e, msg) => void msg.respond("me") });
    await leader.flush();
    // The reply goes to the follower's _INBOX: the leader may answer it only because responses are allowed.
    expect((await follower.request("gantry.v1.hubs.leader", "", { timeout: 3_000 })).string()).toBe("me");

    const aStatus = recordStatus(a);
    const heard = collect(leader, "gantry.v1.hubs.>");
    await leader.flush();
    a.publish("gantry.v1.hubs.leader", "i am the leader now");
    const spy = collect(a, "gantry.v1.hubs.>");
    await eventually(async () => spy.errors[0], "a's subscription to the hubs' subjects to be refused");
    await eventually(async () => errorsOf(aStatus)[0], "a to be told about its publish");
    await a.flush();
    follower.publish("gantry.v1.hubs.leader.gossip", "hello");
    await eventually(async () => (heard.got.length > 0 ? true : undefined), "the leader to hear the follower");
    expect(heard.subjects()).toEqual(["gantry.v1.hubs.leader.gossip"]);
  });

  it("cuts a revoked agent's open connection within seconds and refuses it on reconnect", async () => {
    nats = await startAuthNats();
    const hub = track(await connectWithCreds(nats.url, (await nats.authority.hubCreds()).creds));
    const aCreds = await agentCreds(nats, "a");
    const a = track(
      await connectWithCreds(nats.url, aCreds.creds, { maxReconnectAttempts: -1, reconnectTimeWait: 200 }),
    );
    const b = track(await connectWithCreds(nats.url, (await agentCreds(nats, "b")).creds));
    const aStatus = recordStatus(a);
    const bStatus = recordStatus(b);
    const heard = collect(hub, "gantry.v1.agent.>");
    await hub.flush();

    const started = performance.now();
    const revocation = await nats.authority.revoke(aCreds.publicKey);
    const answered = performance.now();
    const cut = await eventually(
      async () => aStatus.events.find((e) => e.status.type === "disconnect"),
      "a's connection to be cut",
      10_000,
    );
    const seconds = (cut.at - started) / 1000;
    console.log(
      `revocation: server answered in ${((answered - started) / 1000).toFixed(3)} s, ` +
        `connection cut ${seconds.toFixed(3)} s after revoke() was called`,
    );
    expect(revocation).toMatchObject({ publicKey: aCreds.publicKey, pushed: true });
    expect(nats.authority.revocations().get(aCreds.publicKey)).toEqual(revocation.at);
    expect(seconds).toBeLessThan(5);
    expect(errorsOf(aStatus).map((e) => e.message)).toContain("User Authentication Revoked");

    // Its own reconnects and a fresh connection are both refused.
    await eventually(
      async () => errorsOf(aStatus).find((e) => e.message === "Authorization Violation"),
      "a's reconnect to be refused",
      10_000,
    );
    await expect(connectWithCreds(nats.url, aCreds.creds)).rejects.toMatchObject({ name: "AuthorizationError" });
    expect(aStatus.events.some((e) => e.status.type === "reconnect")).toBe(false);

    // A second revocation right after (the account JWT is re-signed within the same second) lands too.
    const cCreds = await agentCreds(nats, "c");
    const c = track(await connectWithCreds(nats.url, cCreds.creds));
    const cStatus = recordStatus(c);
    await nats.authority.revoke(cCreds.publicKey);
    await nats.authority.revoke(aCreds.publicKey);
    await eventually(
      async () => cStatus.events.find((e) => e.status.type === "disconnect"),
      "c's connection to be cut",
    );
    await expect(connectWithCreds(nats.url, aCreds.creds)).rejects.toMatchObject({ name: "AuthorizationError" });

    // Everyone else is untouched.
    b.publish(subjects.heartbeat("b"), "{}");
    await eventually(async () => (heard.got.length > 0 ? true : undefined), "the hub to hear b");
    expect(bStatus.events.filter((e) => e.status.type === "disconnect")).toEqual([]);
  });

  it("rotates credentials: both keys work in the grace period, revoking the old one leaves the new one connected", async () => {
    nats = await startAuthNats();
    const hub = track(await connectWithCreds(nats.url, (await nats.authority.hubCreds()).creds));
    hub.subscribe(subjects.allSync, { callback: (_e, msg) => void msg.respond("ok") });
    const heard = collect(hub, subjects.allHeartbeats);
    await hub.flush();

    // The agent reads its creds from a Kubernetes-style Secret volume: agent.creds → ..data/agent.creds.
    const volume = join(nats.dir, "secret");
    const project = async (version: string, creds: string) => {
      await mkdir(join(volume, version), { recursive: true });
      await writeFile(join(volume, version, "agent.creds"), creds, { mode: 0o600 });
      await symlink(version, join(volume, "..data_tmp"));
      await rename(join(volume, "..data_tmp"), join(volume, "..data"));
    };
    const oldCreds = await agentCreds(nats, "a");
    await project("..v1", oldCreds.creds);
    await symlink(join("..data", "agent.creds"), join(volume, "agent.creds"));
    const path = join(volume, "agent.creds");

    const agent = track(
      await connect({
        servers: nats.url,
        authenticator: credsFileAuthenticator(path),
        inboxPrefix: agentInboxPrefix("a"),
        maxReconnectAttempts: -1,
        reconnectTimeWait: 200,
      }),
    );
    const agentStatus = recordStatus(agent);
    const watch = watchCredentials(path, () => agent.reconnect(), { intervalMs: 100 });
    try {
      // A second process still on the old credentials (say, the agent's previous pod).
      const straggler = track(await connectWithCreds(nats.url, oldCreds.creds));
      const stragglerStatus = recordStatus(straggler);

      const newCreds = await agentCreds(nats, "a");
      expect(newCreds.publicKey).not.toBe(oldCreds.publicKey);
      await project("..v2", newCreds.creds);
      await eventually(
        async () => agentStatus.events.find((e) => e.status.type === "reconnect"),
        "the agent to reconnect with the rotated credentials",
      );
      // Grace period: old and new credentials both work.
      const fresh = track(await connectWithCreds(nats.url, newCreds.creds));
      straggler.publish(subjects.heartbeat("a"), "old");
      fresh.publish(subjects.heartbeat("a"), "new");
      agent.publish(subjects.heartbeat("a"), "agent");
      await eventually(async () => (heard.got.length === 3 ? true : undefined), "three heartbeats");

      const agentEventsBefore = agentStatus.events.length;
      await nats.authority.revoke(oldCreds.publicKey);
      await eventually(
        async () => stragglerStatus.events.find((e) => e.status.type === "disconnect"),
        "the old credentials to be cut off",
      );
      await expect(connectWithCreds(nats.url, oldCreds.creds)).rejects.toMatchObject({ name: "AuthorizationError" });
      // The agent, already on the new key, never noticed.
      agent.publish(subjects.heartbeat("a"), "after");
      expect((await agent.request(subjects.sync("a"), "{}", { timeout: 3_000 })).string()).toBe("ok");
      await eventually(async () => (heard.got.length === 4 ? true : undefined), "the heartbeat after the revocation");
      // Three connections: no order among them, only that each got through once.
      expect(heard.got.map((m) => m.string()).sort()).toEqual(["after", "agent", "new", "old"]);
      expect(agentStatus.events.slice(agentEventsBefore)).toEqual([]);
      // And a reconnect now (the file still says v2) is accepted.
      await agent.reconnect();
      await eventually(
        async () => (agentStatus.events.filter((e) => e.status.type === "reconnect").length === 2 ? true : undefined),
        "a second reconnect on the new credentials",
      );
      await agent.flush();
    } finally {
      watch.close();
    }
  });

  it("cuts a user off when its JWT expires, so a rotation's grace period can end by itself", async () => {
    nats = await startAuthNats();
    // Whole seconds: JWT times are in seconds, and the server cuts at the second named.
    const expiresAt = new Date((Math.floor(Date.now() / 1000) + 3) * 1000);
    const shortLived = await nats.authority.mintUser({ name: "a", permissions: agentPermissions("a"), expiresAt });
    const nc = track(await connectWithCreds(nats.url, shortLived.creds));
    const status = recordStatus(nc);
    await eventually(
      async () => errorsOf(status).find((e) => e.name === "UserAuthenticationExpiredError"),
      "the server to cut the expired user",
      10_000,
    );
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt.getTime() - 1_000);
    // nats-server refuses a JWT at connect only once its expiry second is over (within that second it
    // admits it and cuts it at once), so try again after it.
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt.getTime() + 1_100 - Date.now())));
    await expect(connectWithCreds(nats.url, shortLived.creds)).rejects.toMatchObject({
      name: expect.stringMatching(/^(UserAuthenticationExpiredError|AuthorizationError)$/),
    });
  });

  it("keeps a revocation across a nats-server restart, from the resolver dir and from the preload", async () => {
    nats = await startAuthNats();
    const aCreds = await agentCreds(nats, "a");
    const bCreds = await agentCreds(nats, "b");
    const staleConfig = nats.config();
    await nats.authority.revoke(aCreds.publicKey);

    // Same resolver dir, config written before the revocation: the resolver's stored JWT is newer and wins.
    await nats.restart(staleConfig);
    await expect(connectWithCreds(nats.url, aCreds.creds)).rejects.toMatchObject({ name: "AuthorizationError" });
    track(await connectWithCreds(nats.url, bCreds.creds));

    // A fresh resolver dir: the preload in a freshly generated config carries the revocation.
    await nats.restart(nats.config({ resolverDir: join(nats.dir, "resolver-2") }));
    await expect(connectWithCreds(nats.url, aCreds.creds)).rejects.toMatchObject({ name: "AuthorizationError" });
    track(await connectWithCreds(nats.url, bCreds.creds));

    // A revocation while the server is down is saved, reported as not pushed, and enforced after the restart.
    await nats.server.stop();
    await expect(nats.authority.revoke(bCreds.publicKey)).rejects.toMatchObject({
      code: "claims_update_failed",
    } satisfies Partial<NatsAuthError>);
    // A hub restarted on the same folder trusts the same operator and knows both revocations.
    const reopened = await openNatsAuthority({ dir: join(nats.dir, "authority"), servers: nats.url });
    expect(reopened.accountPublicKey).toBe(nats.authority.accountPublicKey);
    expect([...reopened.revocations().keys()].sort()).toEqual([aCreds.publicKey, bCreds.publicKey].sort());
    await nats.restart(nats.config({ resolverDir: join(nats.dir, "resolver-3") }));
    await expect(connectWithCreds(nats.url, bCreds.creds)).rejects.toMatchObject({ name: "AuthorizationError" });
    const c = await reopened.mintUser({ name: "c", permissions: agentPermissions("c") });
    track(await connectWithCreds(nats.url, c.creds));
  });

  it("lets the GANTRY account use JetStream when the config enables it", async () => {
    nats = await startAuthNats();
    await nats.restart(nats.config({ jetstream: { storeDir: join(nats.dir, "jetstream") } }));
    const probe = await nats.authority.mintUser({
      name: "js-probe",
      permissions: { publish: ["$JS.API.>"], subscribe: ["_INBOX.>"] },
    });
    const nc = track(await connectWithCreds(nats.url, probe.creds));
    const info = (await nc.request("$JS.API.INFO", "", { timeout: 3_000 })).json<Record<string, unknown>>();
    expect(info.type).toBe("io.nats.jetstream.api.v1.account_info_response");
    expect(info.error).toBeUndefined();
    // The hub's and agents' permissions do not reach the JetStream API.
    expect(hubPermissions().publish.some((s) => s.startsWith("$JS"))).toBe(false);
  });
});
