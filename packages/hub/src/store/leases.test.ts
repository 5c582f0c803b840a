import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "./index.ts";
import { KINDS, openTestStore, type TestStore, unique } from "./testing/fixtures.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(KINDS)("leases on %s", (kind) => {
  let t: TestStore;
  let store: Store;

  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it("is taken by one holder, refused to another while valid, and renewed by its holder at the same epoch", async () => {
    const name = unique("lease");
    expect(await store.leases.current(name)).toBeUndefined();
    expect(await store.leases.acquire(name, "hub-a", 60_000)).toEqual({ epoch: 1 });
    expect(await store.leases.acquire(name, "hub-b", 60_000)).toBeUndefined();
    const first = (await store.leases.current(name))!;
    expect(first).toMatchObject({ holder: "hub-a", epoch: 1 });
    await sleep(20);
    expect(await store.leases.acquire(name, "hub-a", 60_000)).toEqual({ epoch: 1 });
    const renewed = (await store.leases.current(name))!;
    expect(renewed).toMatchObject({ holder: "hub-a", epoch: 1 });
    expect(renewed.expiresAt.getTime()).toBeGreaterThan(first.expiresAt.getTime());
    expect(await store.leases.acquire(name, "hub-b", 60_000)).toBeUndefined();
  });

  it("passes to another holder once it expires, with the next epoch; the old holder is then refused", async () => {
    const name = unique("lease");
    expect(await store.leases.acquire(name, "hub-a", 200)).toEqual({ epoch: 1 });
    expect(await store.leases.acquire(name, "hub-b", 200)).toBeUndefined();
    await sleep(350);
    expect(await store.leases.acquire(name, "hub-b", 60_000)).toEqual({ epoch: 2 });
    expect(await store.leases.acquire(name, "hub-a", 60_000)).toBeUndefined();
    expect(await store.leases.current(name)).toMatchObject({ holder: "hub-b", epoch: 2 });
  });

  it("hands over at once when its holder releases it, and only its holder can", async () => {
    const name = unique("lease");
    await store.leases.acquire(name, "hub-a", 60_000);
    await store.leases.release(name, "hub-b");
    expect(await store.leases.acquire(name, "hub-b", 60_000)).toBeUndefined();
    await store.leases.release(name, "hub-a");
    expect(await store.leases.acquire(name, "hub-b", 60_000)).toEqual({ epoch: 2 });
    await store.leases.release(name, "hub-b");
    expect(await store.leases.acquire(name, "hub-c", 60_000)).toEqual({ epoch: 3 });
  });

  it("goes to exactly one of many replicas asking at once, free or expired", async () => {
    const name = unique("lease");
    const holders = Array.from({ length: 8 }, (_, i) => `hub-${i}`);
    const ask = () => Promise.all(holders.map((h) => store.leases.acquire(name, h, 300)));
    const first = await ask();
    expect(first.filter((r) => r !== undefined)).toEqual([{ epoch: 1 }]);
    const winner = holders[first.findIndex((r) => r !== undefined)];
    expect((await store.leases.current(name))?.holder).toBe(winner);
    await sleep(450);
    // Expired: exactly one takes it; the epoch moves on once for a new holder, and stays if the old one got it back
    // (nobody else held it in between, so nothing it wrote can be stale).
    const second = await ask();
    const granted = second.filter((r) => r !== undefined);
    expect(granted).toHaveLength(1);
    const current = (await store.leases.current(name))!;
    expect(current.epoch).toBe(current.holder === winner ? 1 : 2);
    expect(granted[0]).toEqual({ epoch: current.epoch });
  });
});
