import { ClusterDescription } from "@gantry/shared";
import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertState, type CheckpointEntry, createStore, type Db, effectiveDescription, type Store } from "./index.ts";
import { outbox } from "./schema.ts";
import {
  aCapacity,
  aDescription,
  at,
  KINDS,
  openTestStore,
  outboxCounts,
  type TestStore,
  unique,
} from "./testing/fixtures.ts";

describe("effectiveDescription", () => {
  const reported = aDescription("c", {
    tier: "edge",
    provider: "aws",
    region: "us-east-1",
    zone: "a",
    labels: { from: "agent" },
    pricing: { gpuHour: { A100: 2 }, spotGpuHour: {}, egressPerGB: 0.1 },
    spot: true,
  });

  it("takes every field the operator registered over what the agent reports, and the rest from the report", () => {
    expect(
      effectiveDescription("c", { region: "eu-west-1", labels: { from: "operator" }, spot: false }, reported),
    ).toEqual({ ...reported, region: "eu-west-1", labels: { from: "operator" }, spot: false });
    expect(effectiveDescription("c", {}, reported)).toEqual(reported);
    expect(effectiveDescription("c", null, reported)).toEqual(reported);
  });

  it("keeps the data link, cache and spot preemption rates the engine prices with", () => {
    const withLink = { ...reported, bandwidthGbps: 2, cacheGB: 500, spotPreemptionsPerHour: { A100: 0.1 } };
    expect(effectiveDescription("c", null, withLink)).toEqual(withLink);
    expect(effectiveDescription("c", { bandwidthGbps: 40, cacheGB: 100 }, withLink)).toMatchObject({
      bandwidthGbps: 40,
      cacheGB: 100,
      spotPreemptionsPerHour: { A100: 0.1 },
    });
    expect(effectiveDescription("c", null, reported)).not.toHaveProperty("bandwidthGbps");
  });

  it("names the cluster by its registration, never by what the agent calls itself", () => {
    expect(effectiveDescription("real", null, { ...reported, name: "spoofed" }).name).toBe("real");
  });

  it("fills what neither says with the defaults a description parses to", () => {
    expect(effectiveDescription("c", null, null)).toEqual(ClusterDescription.parse({ name: "c", tier: "cloud" }));
    expect(effectiveDescription("c", { tier: "onprem" }, null)).not.toHaveProperty("spot");
  });
});

describe("assertState", () => {
  it("says not_found for no row and conflict for a cluster in another state", () => {
    expect(() => assertState(undefined, "c", ["registered"])).toThrow(expect.objectContaining({ code: "not_found" }));
    const row = { state: "pending" } as Parameters<typeof assertState>[0];
    expect(() => assertState(row, "c", ["registered", "revoked"])).toThrow(
      expect.objectContaining({ code: "conflict", message: "cluster c is pending; expected registered or revoked" }),
    );
    expect(assertState(row, "c", ["pending"])).toBe(row);
  });
});

describe.each(KINDS)("clusters on %s", (kind) => {
  let t: TestStore;
  let store: Store;

  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  const hello = (name: string, over: Partial<ClusterDescription> = {}, when = at(0), agentId = `${name}-agent`) =>
    store.clusters.announce({
      name,
      reported: aDescription(name, over),
      agentId,
      driver: "simulated",
      agentVersion: "0.2.0",
      at: when,
    });

  describe("register and announce", () => {
    it("records an unknown cluster's hello as pending, like a signing request, with what it reported", async () => {
      const name = unique("c");
      const row = await hello(name, { region: "us-east-1", provider: "aws" }, at(5));
      expect(row).toMatchObject({
        name,
        state: "pending",
        registration: null,
        agentId: `${name}-agent`,
        driver: "simulated",
        agentVersion: "0.2.0",
        lastSeenAt: at(5),
        registeredAt: null,
        description: { name, region: "us-east-1", provider: "aws" },
        reported: { region: "us-east-1" },
      });
      // A second hello (a restarted agent) updates what it said, and stays pending.
      const again = await hello(name, { region: "us-west-2" }, at(9), "agent-2");
      expect(again).toMatchObject({
        state: "pending",
        agentId: "agent-2",
        lastSeenAt: at(9),
        description: { region: "us-west-2" },
      });
    });

    it("lets the registration win over what the agent reports, field by field", async () => {
      const name = unique("c");
      await store.clusters.register(name, { region: "eu-west-1", labels: { team: "ml" } }, at(0));
      const row = await hello(name, { region: "us-east-1", provider: "gcp", labels: { team: "spoofed" }, zone: "b" });
      expect(row.state).toBe("registered");
      expect(row.description).toMatchObject({
        region: "eu-west-1",
        labels: { team: "ml" },
        provider: "gcp",
        zone: "b",
      });
      expect(row.reported).toMatchObject({ region: "us-east-1", labels: { team: "spoofed" } });
    });

    it("approves a pending cluster: registered, its registration merged over the report, its agent told", async () => {
      const name = unique("c");
      await hello(name, { region: "us-east-1", provider: "aws" });
      const before = (await outboxCounts(store, [name]))[name]!;
      const row = await store.clusters.register(name, { tier: "onprem" }, at(20));
      expect(row).toMatchObject({
        state: "registered",
        registeredAt: at(20),
        registration: { tier: "onprem" },
        description: { tier: "onprem", region: "us-east-1", provider: "aws" },
        revision: 1,
      });
      expect((await outboxCounts(store, [name]))[name]).toBe(before + 1);
      // A later registration adds to the earlier one.
      const more = await store.clusters.register(name, { zone: "z1" }, at(30));
      expect(more.registration).toEqual({ tier: "onprem", zone: "z1" });
      expect(more.description).toMatchObject({ tier: "onprem", zone: "z1", region: "us-east-1" });
    });

    it("revokes a cluster and every credential not yet revoked; registering it again starts anew", async () => {
      const name = unique("c");
      await store.clusters.register(name, {}, at(0));
      await store.clusters.addCredential(name, `${name}-k1`, at(0));
      await store.clusters.addCredential(name, `${name}-k2`, at(1));
      await store.clusters.markRevoked([`${name}-k1`], at(2));
      const other = unique("c");
      await store.clusters.register(other, {}, at(0));
      await store.clusters.addCredential(other, `${other}-k1`, at(0));

      const row = await store.clusters.revoke(name, at(10));
      expect(row).toMatchObject({ state: "revoked", revokedAt: at(10) });
      const creds = new Map((await store.clusters.credentials(name)).map((c) => [c.publicKey, c.revokedAt]));
      expect(creds).toEqual(
        new Map([
          [`${name}-k1`, at(2)],
          [`${name}-k2`, at(10)],
        ]),
      );
      expect((await store.clusters.credentials(other))[0]?.revokedAt).toBeNull();
      const revoked = (await store.clusters.revokedKeys()).map((k) => k.publicKey);
      expect(revoked).toEqual(expect.arrayContaining([`${name}-k1`, `${name}-k2`]));
      expect(revoked).not.toContain(`${other}-k1`);

      // Its agent saying hello again does not bring it back.
      expect((await hello(name, {}, at(15))).state).toBe("revoked");
      expect(await store.clusters.register(name, {}, at(20))).toMatchObject({ state: "registered", revokedAt: null });
      await expect(store.clusters.revoke(unique("nobody"), at(0))).rejects.toMatchObject({ code: "not_found" });
    });

    it("lists clusters by name and forgets a removed one", async () => {
      const [b, a] = [unique("cb"), unique("ca")];
      await store.clusters.register(b, {}, at(0));
      await hello(a);
      const names = (await store.clusters.list()).map((c) => c.name);
      expect(names).toEqual([...names].sort());
      expect(names).toEqual(expect.arrayContaining([a, b]));
      await store.clusters.remove(a);
      expect(await store.clusters.get(a)).toBeUndefined();
      await expect(store.clusters.remove(a)).rejects.toMatchObject({ code: "not_found" });
    });
  });

  describe("checkpoint", () => {
    /** The store on a database handle that counts the statements it is asked to run. */
    const counting = () => {
      let statements = 0;
      const verbs = new Set(["select", "insert", "update", "delete", "execute", "transaction"]);
      const proxy = new Proxy(store.db, {
        get(target, p, receiver) {
          const value = Reflect.get(target, p, receiver);
          if (typeof p !== "string" || !verbs.has(p) || typeof value !== "function") return value;
          return (...args: unknown[]) => {
            statements++;
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      }) as Db;
      return { counted: createStore(proxy), statements: () => statements };
    };

    it("writes many clusters' capacity and last-seen time in one statement, ignoring unknown names", async () => {
      const names = Array.from({ length: 5 }, () => unique("c"));
      for (const n of names) await store.clusters.register(n, {}, at(0));
      const entries: CheckpointEntry[] = names.map((name, i) => ({
        name,
        capacity: aCapacity([{ uid: `u-${i}`, generation: i }], i),
        lastSeenAt: at(100 + i),
      }));
      const ghost = unique("ghost");
      const { counted, statements } = counting();
      await counted.clusters.checkpoint([...entries, { name: ghost, capacity: aCapacity(), lastSeenAt: at(1) }]);
      expect(statements()).toBe(1);
      for (const [i, name] of names.entries()) {
        const row = (await store.clusters.get(name))!;
        expect(row.lastSeenAt).toEqual(at(100 + i));
        expect(row.capacity).toEqual(entries[i]!.capacity);
      }
      expect(await store.clusters.get(ghost)).toBeUndefined();
      await counted.clusters.checkpoint([]);
      expect(statements()).toBe(1);
    });

    it("writes only the last-seen time of a report the row already holds, in a second statement", async () => {
      const [a, b, never] = [unique("c"), unique("c"), unique("c")];
      for (const n of [a, b, never]) await store.clusters.register(n, {}, at(0));
      await store.clusters.checkpoint([{ name: a, capacity: aCapacity([], 1), lastSeenAt: at(10) }]);
      const { counted, statements } = counting();
      await counted.clusters.checkpoint([
        { name: a, lastSeenAt: at(40) },
        { name: b, capacity: aCapacity([], 2), lastSeenAt: at(41) },
        { name: never, lastSeenAt: at(42) },
      ]);
      expect(statements()).toBe(2);
      expect(await store.clusters.get(a)).toMatchObject({ lastSeenAt: at(40), capacity: aCapacity([], 1) });
      expect(await store.clusters.get(b)).toMatchObject({ lastSeenAt: at(41), capacity: aCapacity([], 2) });
      // No report stored: a time alone would make a cluster look heard from with nothing to show for it.
      expect(await store.clusters.get(never)).toMatchObject({ lastSeenAt: null, capacity: null });
      await counted.clusters.checkpoint([{ name: a, lastSeenAt: at(30) }]);
      expect((await store.clusters.get(a))?.lastSeenAt).toEqual(at(40));
    });

    it("never moves last-seen backwards", async () => {
      const name = unique("c");
      await hello(name, {}, at(50));
      await store.clusters.checkpoint([{ name, capacity: aCapacity([], 2), lastSeenAt: at(40) }]);
      expect((await store.clusters.get(name))?.lastSeenAt).toEqual(at(50));
      await store.clusters.checkpoint([{ name, capacity: aCapacity([], 3), lastSeenAt: at(60) }]);
      expect((await store.clusters.get(name))?.lastSeenAt).toEqual(at(60));
      await store.clusters.checkpoint([{ name, capacity: aCapacity([], 3), lastSeenAt: at(55) }]);
      expect((await store.clusters.get(name))?.lastSeenAt).toEqual(at(60));
    });

    it("fills in last-seen for a registered cluster never heard before", async () => {
      const name = unique("c");
      await store.clusters.register(name, {}, at(0));
      expect((await store.clusters.get(name))?.lastSeenAt).toBeNull();
      await store.clusters.checkpoint([{ name, capacity: aCapacity(), lastSeenAt: at(7) }]);
      expect((await store.clusters.get(name))?.lastSeenAt).toEqual(at(7));
    });
  });

  describe("credential rotation", () => {
    it("gives every other live key a deadline once, revokes them when it passes, and never the kept key", async () => {
      const name = unique("c");
      const other = unique("c");
      await store.clusters.register(name, {}, at(0));
      const [old1, old2, revoked, kept, foreign] = [
        `${name}-o1`,
        `${name}-o2`,
        `${name}-r`,
        `${name}-new`,
        `${other}-k`,
      ];
      for (const k of [old1, old2, revoked, kept]) await store.clusters.addCredential(name, k, at(0));
      await store.clusters.addCredential(other, foreign, at(0));
      await store.clusters.markRevoked([revoked], at(1));

      expect((await store.clusters.expireCredentials(name, kept, at(100))).sort()).toEqual([old1, old2].sort());
      // A second rotation before the first ended does not extend the deadline.
      expect(await store.clusters.expireCredentials(name, kept, at(500))).toEqual([]);
      const ours = async (now: Date) =>
        (await store.clusters.dueForRevocation(now))
          .filter((c) => c.cluster === name || c.cluster === other)
          .map((c) => c.publicKey)
          .sort();
      expect(await ours(at(99))).toEqual([]);
      expect(await ours(at(100))).toEqual([old1, old2].sort());
      await store.clusters.markRevoked([old1, old2], at(100));
      expect(await ours(at(1_000))).toEqual([]);
      const creds = new Map((await store.clusters.credentials(name)).map((c) => [c.publicKey, c]));
      expect(creds.get(kept)).toMatchObject({ notAfter: null, revokedAt: null });
      expect(creds.get(old1)).toMatchObject({ notAfter: at(100), revokedAt: at(100) });
      expect(creds.get(revoked)).toMatchObject({ notAfter: null, revokedAt: at(1) });
    });
  });

  describe("outbox", () => {
    it("hands out unpublished rows oldest first and forgets them once marked", async () => {
      const c = unique("c");
      await store.clusters.register(c, {}, at(0));
      await store.clusters.register(c, { zone: "z" }, at(1));
      const rows = (await store.outbox.pending(100_000)).filter((r) => r.cluster === c);
      expect(rows).toHaveLength(2);
      expect(rows[0]!.id).toBeLessThan(rows[1]!.id);
      await store.outbox.markPublished(
        rows.map((r) => r.id),
        at(2),
      );
      expect((await store.outbox.pending(100_000)).filter((r) => r.cluster === c)).toEqual([]);
      const marked = await store.db
        .select()
        .from(outbox)
        .where(
          inArray(
            outbox.id,
            rows.map((r) => r.id),
          ),
        );
      expect(marked.map((r) => r.publishedAt)).toEqual([at(2), at(2)]);
      await store.outbox.markPublished([], at(3));
    });
  });
});
