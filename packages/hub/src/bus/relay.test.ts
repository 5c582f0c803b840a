import type { DesiredState } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import type { Store } from "../store/index.ts";
import type { StoredDesiredState } from "../store/workloads.ts";
import { systemClock } from "../util/clock.ts";
import { silentLogger } from "../util/logger.ts";
import { createRelay } from "./relay.ts";

/** A store whose `desiredStates` records each query and answers from `revisions` (or fails while `failing`). */
const aStore = (revisions: Map<string, number>) => {
  const queries: string[][] = [];
  const state = { failing: false, onQuery: undefined as (() => void) | undefined };
  const store = {
    workloads: {
      async desiredStates(names: readonly string[]): Promise<Map<string, StoredDesiredState>> {
        queries.push([...names]);
        await new Promise((r) => setTimeout(r, 5));
        state.onQuery?.();
        if (state.failing) throw new Error("connection lost");
        return new Map(
          names.flatMap((n) => {
            const revision = revisions.get(n);
            return revision === undefined ? [] : [[n, { origin: "o1", revision, placements: [] }]];
          }),
        );
      },
    },
  } as unknown as Store;
  return { store, queries, state };
};

const aRelay = (store: Store) =>
  createRelay({
    store,
    clock: systemClock,
    logger: silentLogger(),
    fenceAfterSeconds: 60,
    epoch: () => undefined,
    publish: () => undefined,
  });

const names = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);

describe("relay syncs", () => {
  it("loads the misses that arrive together in one query, in rounds of 500", async () => {
    const revisions = new Map(names(1_200).map((n, i) => [n, i + 1]));
    const { store, queries } = aStore(revisions);
    const relay = aRelay(store);
    const states = await Promise.all(names(1_200).map((n) => relay.desiredState(n)));
    expect(states.map((s) => [s.cluster, s.revision])).toEqual(names(1_200).map((n, i) => [n, i + 1]));
    expect(queries.map((q) => q.length)).toEqual([500, 500, 200]);
    // Now cached: no further query.
    await relay.sync("c7", "o1", 8);
    expect(queries).toHaveLength(3);
  });

  it("asks once for a cluster many agents' syncs name at once, and answers each", async () => {
    const { store, queries } = aStore(new Map([["c1", 4]]));
    const relay = aRelay(store);
    const answers = await Promise.all([relay.sync("c1", "o1", 4), relay.sync("c1", "o1", 3), relay.sync("c1", "x", 4)]);
    expect(answers.map((a) => a.unchanged)).toEqual([true, false, false]);
    expect(queries).toEqual([["c1"]]);
  });

  it("tells a cluster it has no registration for: nothing, at revision 0", async () => {
    const { store } = aStore(new Map());
    const state = await aRelay(store).desiredState("ghost");
    expect([state.origin, state.revision, state.placements]).toEqual(["none", 0, []]);
  });

  it("answers with a state published while the query ran, not the older one it read", async () => {
    const { store, state } = aStore(new Map([["c1", 4]]));
    const relay = aRelay(store);
    const published: DesiredState = {
      ...(await aRelay(aStore(new Map([["c1", 9]])).store).desiredState("c1")),
    };
    state.onQuery = () => relay.remember(published);
    expect((await relay.desiredState("c1")).revision).toBe(9);
  });

  it("fails the syncs of a failed query, and loads again for the next", async () => {
    const { store, queries, state } = aStore(new Map([["c1", 2]]));
    const relay = aRelay(store);
    state.failing = true;
    await expect(Promise.all([relay.desiredState("c1"), relay.desiredState("c1")])).rejects.toThrow("connection lost");
    state.failing = false;
    expect((await relay.desiredState("c1")).revision).toBe(2);
    expect(queries).toHaveLength(2);
  });

  it("takes misses that arrive during a query into the next round", async () => {
    const { store, queries, state } = aStore(new Map(names(3).map((n) => [n, 1])));
    const relay = aRelay(store);
    let late: Promise<DesiredState> | undefined;
    state.onQuery = () => {
      state.onQuery = undefined;
      late = relay.desiredState("c2");
    };
    await Promise.all([relay.desiredState("c0"), relay.desiredState("c1")]);
    expect((await late!).cluster).toBe("c2");
    expect(queries).toEqual([["c0", "c1"], ["c2"]]);
  });
});
