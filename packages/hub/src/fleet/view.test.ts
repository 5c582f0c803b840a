import {
  type CapacityReport,
  ClusterDescription,
  type Dataset,
  type DatasetCopy,
  NodeGroup,
  type NodeGroupInput,
} from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { compileFleet } from "../placement/index.ts";
import type { ClusterRow, ClusterState } from "../store/index.ts";
import { createFleetView, LAST_SEEN_CHECKPOINT_MS } from "./view.ts";

const T0 = new Date("2026-01-01T00:00:00Z");
const thresholds = { unknownAfterMs: 1_000, offlineAfterMs: 5_000 };

/** A clock the test moves by hand. */
const aClock = () => {
  let now = T0.getTime();
  return {
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms;
    },
  };
};

const aRow = (name: string, over: Partial<ClusterRow> = {}): ClusterRow => ({
  name,
  state: "registered",
  registration: {},
  description: ClusterDescription.parse({ name, tier: "cloud", region: "r" }),
  reported: null,
  agentId: null,
  driver: null,
  agentVersion: null,
  capacity: null,
  lastSeenAt: null,
  revision: 0,
  createdAt: T0,
  registeredAt: T0,
  revokedAt: null,
  ...over,
});

const capacity = (
  nodes: Partial<NodeGroupInput>[] = [{}],
  accounted: CapacityReport["accountedWorkloads"] = [],
): CapacityReport => ({
  nodes: nodes.map((n, i) =>
    NodeGroup.parse({ name: `n-${i}`, gpu: { model: "A100", count: 8, memoryGiB: 80 }, ...n }),
  ),
  accountedWorkloads: accounted,
  datasets: [],
});

const aView = (...rows: ClusterRow[]) => {
  const clock = aClock();
  const view = createFleetView({ clock, thresholds });
  view.load(rows);
  return { view, clock };
};

describe("fleet view sessions", () => {
  it("refuses everything from a cluster it does not know", () => {
    const { view } = aView();
    expect(view.hello("ghost", "a1", 1)).toBe("unknown_cluster");
    expect(view.admit("ghost", "status", "a1", 2)).toBe("unknown_cluster");
  });

  it("starts a session with a hello and admits that agent's messages while each kind's sequence number grows", () => {
    const { view } = aView(aRow("c1"));
    expect(view.hello("c1", "a1", 10)).toBe("ok");
    expect(view.admit("c1", "status", "a1", 11)).toBe("ok");
    expect(view.admit("c1", "heartbeat", "a1", 12)).toBe("ok");
    expect(view.admit("c1", "status", "a1", 13)).toBe("ok");
    // A replay (same number) and a late copy (lower) are refused, per kind.
    expect(view.admit("c1", "status", "a1", 13)).toBe("seq_backwards");
    expect(view.admit("c1", "status", "a1", 12)).toBe("seq_backwards");
    expect(view.admit("c1", "heartbeat", "a1", 12)).toBe("seq_backwards");
    expect(view.admit("c1", "heartbeat", "a1", 13)).toBe("ok");
    expect(view.get("c1")?.agentId).toBe("a1");
  });

  it("refuses a message from an agent other than the one that said hello", () => {
    const { view } = aView(aRow("c1"));
    view.hello("c1", "a1", 1);
    expect(view.admit("c1", "status", "intruder", 100)).toBe("agent_mismatch");
    // The refused message did not advance anything of a1's.
    expect(view.admit("c1", "status", "a1", 2)).toBe("ok");
  });

  it("moves the session to a new agent that says hello (a restart), and refuses the old one from then on", () => {
    const { view } = aView(aRow("c1"));
    view.hello("c1", "a1", 100);
    view.admit("c1", "status", "a1", 101);
    expect(view.hello("c1", "a2", 5)).toBe("ok");
    // The new agent's numbers start afresh; the old agent is shut out.
    expect(view.admit("c1", "status", "a2", 6)).toBe("ok");
    expect(view.admit("c1", "status", "a1", 102)).toBe("agent_mismatch");
    expect(view.get("c1")?.agentId).toBe("a2");
  });

  it("refuses a replayed hello and keeps the session's numbers", () => {
    const { view } = aView(aRow("c1"));
    view.hello("c1", "a1", 10);
    view.admit("c1", "status", "a1", 20);
    expect(view.hello("c1", "a1", 10)).toBe("seq_backwards");
    expect(view.hello("c1", "a1", 9)).toBe("seq_backwards");
    expect(view.admit("c1", "status", "a1", 15)).toBe("seq_backwards");
    // The same agent reconnecting says hello with a newer number; its session goes on.
    expect(view.hello("c1", "a1", 30)).toBe("ok");
    expect(view.admit("c1", "status", "a1", 20)).toBe("seq_backwards");
    expect(view.admit("c1", "status", "a1", 31)).toBe("ok");
  });

  it("after a hub restart takes back the agent the database knew, and gives any other no session until its hello", () => {
    const { view } = aView(aRow("c1", { agentId: "a1" }), aRow("c2", { agentId: "b1" }), aRow("c3"));
    expect(view.admit("c1", "heartbeat", "a1", 50)).toBe("ok");
    expect(view.admit("c1", "heartbeat", "a1", 50)).toBe("seq_backwards");
    expect(view.admit("c2", "status", "b2", 7)).toBe("no_session");
    // A cluster whose agent never said hello has nobody to take back.
    expect(view.admit("c3", "status", "x", 1)).toBe("no_session");
    expect(view.hello("c2", "b2", 8)).toBe("ok");
    expect(view.admit("c2", "status", "b2", 9)).toBe("ok");
    expect(view.admit("c2", "status", "b1", 10)).toBe("agent_mismatch");
  });
});

describe("fleet view snapshot", () => {
  const datasets: Dataset[] = [];

  it("holds only registered clusters", () => {
    const { view } = aView(
      aRow("c1"),
      aRow("c2", { state: "pending" }),
      aRow("c3", { state: "revoked" satisfies ClusterState }),
    );
    for (const name of ["c1", "c2", "c3"]) view.heartbeat(name, capacity());
    expect(view.snapshot(datasets).fleet.clusters.map((c) => c.name)).toEqual(["c1"]);
    view.upsert(aRow("c2"));
    expect(view.snapshot(datasets).fleet.clusters.map((c) => c.name)).toEqual(["c1", "c2"]);
    // Approved after it reported: its capacity is there at once.
    expect(view.snapshot(datasets).fleet.clusters[1]?.nodes).toHaveLength(1);
    view.remove("c1");
    expect(view.snapshot(datasets).fleet.clusters.map((c) => c.name)).toEqual(["c2"]);
    expect(view.size()).toBe(2);
  });

  it("reuses one compilation while nothing the engine reads changes", () => {
    const { view, clock } = aView(aRow("c1"), aRow("c2"));
    expect(view.heartbeat("c1", capacity([{ gpusUsed: 2 }]))).toBe(true);
    expect(view.heartbeat("c2", capacity())).toBe(true);
    const first = view.snapshot(datasets);
    // The same report again, a little later: nothing changed.
    clock.advance(300);
    expect(view.heartbeat("c1", capacity([{ gpusUsed: 2 }]))).toBe(false);
    const again = view.snapshot(datasets);
    expect(again.compiled).toBe(first.compiled);
    expect(again.fleet).toBe(first.fleet);
    expect(view.snapshot(datasets).compiled).toBe(first.compiled);
  });

  it("rebuilds when a heartbeat takes or frees capacity, and shows the new numbers", () => {
    const { view } = aView(aRow("c1"));
    view.heartbeat("c1", capacity([{ gpusUsed: 2 }]));
    const first = view.snapshot(datasets);
    expect(view.heartbeat("c1", capacity([{ gpusUsed: 6 }]))).toBe(true);
    const next = view.snapshot(datasets);
    expect(next.compiled).not.toBe(first.compiled);
    expect(next.fleet.clusters[0]?.nodes[0]?.gpusUsed).toBe(6);
    expect(first.fleet.clusters[0]?.nodes[0]?.gpusUsed).toBe(2);
  });

  it("writes what moved into a copy that matches a fresh compile, and keeps every other cluster's objects", () => {
    const { view, clock } = aView(aRow("c1"), aRow("c2"), aRow("c3"));
    for (const c of ["c1", "c2", "c3"]) view.heartbeat(c, capacity());
    const first = view.snapshot(datasets);
    view.heartbeat("c2", capacity([{ gpusUsed: 5 }]));
    const second = view.snapshot(datasets);
    expect(second.compiled).toEqual(compileFleet(second.fleet));
    expect(second.fleet.clusters[0]).toBe(first.fleet.clusters[0]);
    expect(second.fleet.clusters[1]).not.toBe(first.fleet.clusters[1]);
    expect(first.compiled).toEqual(compileFleet(first.fleet));
    // Silence turns c1 and c3 unknown while c2 keeps reporting: health moves without a report.
    clock.advance(thresholds.unknownAfterMs + 1);
    view.heartbeat("c2", capacity([{ gpusUsed: 5 }]));
    const third = view.snapshot(datasets);
    expect(third.fleet.clusters.map((c) => c.health)).toEqual(["unknown", "ready", "unknown"]);
    expect(third.compiled).toEqual(compileFleet(third.fleet));
    // A description that changes (a re-registration) is compiled afresh.
    view.upsert(aRow("c3", { description: { ...aRow("c3").description, region: "ap-south-1" } }));
    const fourth = view.snapshot(datasets);
    expect(fourth.fleet.clusters[2]?.region).toBe("ap-south-1");
    expect(fourth.compiled).toEqual(compileFleet(fourth.fleet));
  });

  it.each<[string, Partial<NodeGroupInput>]>([
    ["a node group grows", { count: 3 }],
    ["a node's GPUs change", { gpu: { model: "H100", count: 8, memoryGiB: 80 } }],
    ["a node's labels change", { labels: { pool: "reserved" } }],
    ["a node's CPU changes", { cpu: 64 }],
    ["a node goes unschedulable", { schedulable: false }],
  ])("rebuilds when %s", (_what, change) => {
    const { view } = aView(aRow("c1"));
    view.heartbeat("c1", capacity([{}]));
    const first = view.snapshot(datasets);
    expect(view.heartbeat("c1", capacity([change]))).toBe(true);
    const next = view.snapshot(datasets);
    expect(next.compiled).not.toBe(first.compiled);
    expect(next.fleet.clusters[0]?.nodes[0]).toMatchObject(change);
  });

  it("rebuilds when a cluster's health changes with time alone, and when it comes back", () => {
    const { view, clock } = aView(aRow("c1"));
    view.heartbeat("c1", capacity());
    const ready = view.snapshot(datasets);
    expect(ready.fleet.clusters[0]?.health).toBe("ready");
    clock.advance(thresholds.unknownAfterMs + 1);
    const unknown = view.snapshot(datasets);
    expect(unknown.compiled).not.toBe(ready.compiled);
    expect(unknown.fleet.clusters[0]?.health).toBe("unknown");
    expect(view.snapshot(datasets).compiled).toBe(unknown.compiled);
    clock.advance(thresholds.offlineAfterMs);
    expect(view.snapshot(datasets).fleet.clusters[0]?.health).toBe("offline");
    // The same capacity as before, but the cluster is back: that changes what the engine sees.
    expect(view.heartbeat("c1", capacity())).toBe(true);
    expect(view.snapshot(datasets).fleet.clusters[0]?.health).toBe("ready");
    expect(view.health(view.get("c1")!)).toBe("ready");
  });

  it("rebuilds when the datasets or a registration change, keeping what the agent reported", () => {
    const { view } = aView(aRow("c1"));
    view.heartbeat("c1", capacity([{ gpusUsed: 1 }]));
    const first = view.snapshot(datasets);
    const other: Dataset[] = [{ name: "d", sizeGB: 10, locations: ["c1"] }];
    const withData = view.snapshot(other);
    expect(withData.compiled).not.toBe(first.compiled);
    expect(withData.fleet.datasets).toEqual(other);
    expect(view.snapshot(other).compiled).toBe(withData.compiled);

    view.upsert(aRow("c1", { description: ClusterDescription.parse({ name: "c1", tier: "onprem", region: "eu" }) }));
    const moved = view.snapshot(other);
    expect(moved.compiled).not.toBe(withData.compiled);
    expect(moved.fleet.clusters[0]).toMatchObject({ tier: "onprem", region: "eu", health: "ready" });
    expect(moved.fleet.clusters[0]?.nodes[0]?.gpusUsed).toBe(1);
  });

  it("starts from the database's checkpoint, and a newer heartbeat replaces it", () => {
    const { view, clock } = aView(aRow("c1", { capacity: capacity([{ gpusUsed: 5 }]), lastSeenAt: T0 }));
    expect(view.snapshot(datasets).fleet.clusters[0]).toMatchObject({ health: "ready", nodes: [{ gpusUsed: 5 }] });
    // A registration change read back from the database does not undo what the agent said since.
    clock.advance(100);
    view.heartbeat("c1", capacity([{ gpusUsed: 7 }]));
    view.upsert(aRow("c1", { capacity: capacity([{ gpusUsed: 5 }]), lastSeenAt: T0 }));
    expect(view.snapshot(datasets).fleet.clusters[0]?.nodes[0]?.gpusUsed).toBe(7);
    expect(view.get("c1")?.lastSeenAt).toEqual(new Date(T0.getTime() + 100));
  });

  it("ignores a heartbeat from a cluster it does not know", () => {
    const { view } = aView(aRow("c1"));
    expect(view.heartbeat("ghost", capacity())).toBe(false);
    expect(view.get("ghost")).toBeUndefined();
    expect(view.list().map((e) => e.name)).toEqual(["c1"]);
  });
});

describe("fleet view reservations", () => {
  it("keeps only the reservations the clusters' reports do not account for yet", () => {
    const { view } = aView(aRow("c1"), aRow("c2"), aRow("c3"));
    view.heartbeat(
      "c1",
      capacity(
        [{}],
        [
          { uid: "u1", generation: 1 },
          { uid: "u2", generation: 1 },
          { uid: "u4", generation: 3 },
        ],
      ),
    );
    view.heartbeat("c2", capacity([{}], []));
    const r = (workload: string, cluster: string, generation: number) => ({ workload, cluster, generation, nodes: [] });
    const reservations = [
      r("u1", "c1", 1), // accounted at its generation
      r("u1", "c2", 1), // c2 has not seen it
      r("u2", "c1", 2), // c1 saw an older generation only
      r("u3", "c3", 1), // c3 never reported
      r("u4", "c1", 2), // c1 already reports a later generation
      r("u5", "ghost", 1),
    ];
    expect(view.openReservations(reservations).map((x) => `${x.workload}@${x.cluster}`)).toEqual([
      "u1@c2",
      "u2@c1",
      "u3@c3",
      "u5@ghost",
    ]);
  });
});

describe("fleet view checkpoints", () => {
  it("hands out only the clusters that reported since the last checkpoint, with what they account for", () => {
    const { view, clock } = aView(aRow("c1"), aRow("c2", { capacity: capacity(), lastSeenAt: T0 }), aRow("c3"));
    // Loaded from the database: nothing to write back.
    expect(view.takeCheckpoint()).toEqual({ entries: [], accounted: [] });
    clock.advance(500);
    view.heartbeat("c1", capacity([{ gpusUsed: 1 }], [{ uid: "u1", generation: 2 }]));
    const first = view.takeCheckpoint();
    expect(first.entries).toEqual([
      { name: "c1", capacity: capacity([{ gpusUsed: 1 }], [{ uid: "u1", generation: 2 }]), lastSeenAt: clock.now() },
    ]);
    expect(first.accounted).toEqual([{ cluster: "c1", uid: "u1", generation: 2 }]);
    expect(view.takeCheckpoint().entries).toEqual([]);
    // The same report again is not rewritten (last-seen alone is refreshed less often); a changed one is.
    view.heartbeat("c1", capacity([{ gpusUsed: 1 }], [{ uid: "u1", generation: 2 }]));
    view.heartbeat("c2", capacity([{ gpusUsed: 3 }]));
    expect(view.takeCheckpoint().entries.map((e) => e.name)).toEqual(["c2"]);
  });

  it("rewrites an unchanged report only once its stored last-seen time is due a refresh", () => {
    const { view, clock } = aView(aRow("c1", { capacity: capacity(), lastSeenAt: T0 }));
    clock.advance(1_000);
    view.heartbeat("c1", capacity());
    expect(view.takeCheckpoint().entries).toEqual([]);
    clock.advance(LAST_SEEN_CHECKPOINT_MS - 1_000 - 1);
    view.heartbeat("c1", capacity());
    expect(view.takeCheckpoint().entries).toEqual([]);
    clock.advance(1);
    view.heartbeat("c1", capacity());
    const due = view.takeCheckpoint().entries;
    expect(due.map((e) => [e.name, e.lastSeenAt.getTime() - T0.getTime()])).toEqual([["c1", LAST_SEEN_CHECKPOINT_MS]]);
    // The row holds this report already: only its time is written.
    expect(due[0]?.capacity).toBeUndefined();
    clock.advance(5_000);
    view.heartbeat("c1", capacity());
    expect(view.takeCheckpoint().entries).toEqual([]);
    // A dataset copy or an accounted workload is part of what is stored, not only the nodes.
    view.heartbeat("c1", { ...capacity(), accountedWorkloads: [{ uid: "u9", generation: 1 }] });
    expect(view.takeCheckpoint().accounted).toEqual([{ cluster: "c1", uid: "u9", generation: 1 }]);
  });

  it("puts clusters back after a failed write, so the next checkpoint retries them", () => {
    const { view } = aView(aRow("c1"), aRow("c2"));
    view.heartbeat("c1", capacity());
    view.heartbeat("c2", capacity());
    const taken = view.takeCheckpoint();
    expect(taken.entries).toHaveLength(2);
    view.restoreCheckpoint(["c1", "ghost"]);
    expect(view.takeCheckpoint().entries.map((e) => e.name)).toEqual(["c1"]);
    expect(view.takeCheckpoint().entries).toEqual([]);
  });

  it("writes the whole report again after a failed write, even when the retry is only due for its time", () => {
    const { view, clock } = aView(aRow("c1", { capacity: capacity(), lastSeenAt: T0 }));
    clock.advance(LAST_SEEN_CHECKPOINT_MS);
    view.heartbeat("c1", capacity([{ gpusUsed: 2 }]));
    expect(view.takeCheckpoint().entries[0]?.capacity).toEqual(capacity([{ gpusUsed: 2 }]));
    // That write failed: what the row holds is unknown, so the next one carries the report, not only the time.
    view.restoreCheckpoint(["c1"]);
    expect(view.takeCheckpoint().entries[0]?.capacity).toEqual(capacity([{ gpusUsed: 2 }]));
    clock.advance(LAST_SEEN_CHECKPOINT_MS);
    view.heartbeat("c1", capacity([{ gpusUsed: 2 }]));
    expect(view.takeCheckpoint().entries).toEqual([{ name: "c1", lastSeenAt: clock.now() }]);
  });
});

describe("fleet view registrations", () => {
  it("lists clusters in name order, whatever order they were loaded in", () => {
    const { view } = aView(aRow("c2"), aRow("c1"), aRow("c3"));
    expect(view.list().map((e) => e.name)).toEqual(["c1", "c2", "c3"]);
    for (const name of ["c3", "c2", "c1"]) view.heartbeat(name, capacity());
    expect(view.snapshot([]).fleet.clusters.map((c) => c.name)).toEqual(["c1", "c2", "c3"]);
  });

  it("keeps the agent version and driver the agent said when the database row has none, and takes newer ones", () => {
    const { view } = aView(aRow("c1", { agentVersion: "0.1.0", driver: "kubernetes" }));
    view.upsert(aRow("c1"));
    expect(view.get("c1")).toMatchObject({ agentVersion: "0.1.0", driver: "kubernetes" });
    view.upsert(aRow("c1", { agentVersion: "0.2.0", driver: "simulated" }));
    expect(view.get("c1")).toMatchObject({ agentVersion: "0.2.0", driver: "simulated" });
  });

  it("takes a checkpointed capacity from the database for a cluster it has no report of yet", () => {
    const { view, clock } = aView(aRow("c1"));
    clock.advance(200);
    view.upsert(aRow("c1", { capacity: capacity([{ gpusUsed: 4 }]), lastSeenAt: T0 }));
    expect(view.get("c1")?.lastSeenAt).toEqual(T0);
    expect(view.snapshot([]).fleet.clusters[0]).toMatchObject({ health: "ready", nodes: [{ gpusUsed: 4 }] });
    // The agent then reports the same capacity: nothing the engine sees changed.
    expect(view.heartbeat("c1", capacity([{ gpusUsed: 4 }]))).toBe(false);
  });

  it("counts a change of membership for a new cluster, a new description, a node set's shape, not for repeats or usage", () => {
    const { view } = aView(aRow("c1"));
    const at = () => view.membership();
    let last = at();
    const changed = () => {
      const now = at();
      const moved = now !== last;
      last = now;
      return moved;
    };
    view.upsert(aRow("c1"));
    expect(changed()).toBe(false);
    view.upsert(aRow("c1", { agentVersion: "0.3.0" }));
    expect(changed()).toBe(false);
    view.upsert(aRow("c1", { description: { ...aRow("c1").description, region: "elsewhere" } }));
    expect(changed()).toBe(true);
    view.upsert(aRow("c1", { state: "revoked" }));
    expect(changed()).toBe(true);
    view.heartbeat("c1", capacity());
    expect(changed()).toBe(true);
    view.heartbeat("c1", capacity([{ gpusUsed: 5 }]));
    expect(changed()).toBe(false);
    view.heartbeat("c1", capacity([{}, {}]));
    expect(changed()).toBe(true);
    view.upsert(aRow("c2"));
    expect(changed()).toBe(true);
    view.remove("c2");
    expect(changed()).toBe(true);
  });

  it("knows a hello the row already holds, and only that one", () => {
    const description = aRow("c1").description;
    const recorded = aRow("c1", { agentId: "a1", driver: "simulated", agentVersion: "0.1.0", reported: description });
    const { view } = aView(recorded);
    const hello = { agentId: "a1", driver: "simulated", agentVersion: "0.1.0", reported: structuredClone(description) };
    expect(view.helloRecorded("c1", hello)).toBe(true);
    expect(view.helloRecorded("c1", { ...hello, agentId: "a2" })).toBe(false);
    expect(view.helloRecorded("c1", { ...hello, agentVersion: "0.2.0" })).toBe(false);
    expect(view.helloRecorded("c1", { ...hello, driver: "kubernetes" })).toBe(false);
    expect(view.helloRecorded("c1", { ...hello, reported: { ...description, region: "elsewhere" } })).toBe(false);
    expect(view.helloRecorded("ghost", hello)).toBe(false);
    // The session's agent moves with every hello; what the row holds moves only with the row.
    view.hello("c1", "a2", 1);
    expect(view.helloRecorded("c1", { ...hello, agentId: "a2" })).toBe(false);
    view.upsert({ ...recorded, agentId: "a2" });
    expect(view.helloRecorded("c1", { ...hello, agentId: "a2" })).toBe(true);
    // A row that never recorded a hello (registered by an operator only).
    const { view: fresh } = aView(aRow("c2"));
    expect(fresh.helloRecorded("c2", { ...hello, reported: aRow("c2").description })).toBe(false);
  });

  it("is unknown for a cluster that never reported capacity", () => {
    const { view } = aView(aRow("c1"));
    expect(view.health(view.get("c1")!)).toBe("unknown");
  });

  it("still rebuilds on a capacity change after a cluster is added or removed", () => {
    const { view } = aView(aRow("c1"), aRow("c2", { state: "pending" }));
    const datasets: Dataset[] = [];
    view.heartbeat("c1", capacity([{ gpusUsed: 1 }]));
    view.snapshot(datasets);
    // Clusters the snapshot does not hold (pending) come and go; then c1's capacity changes.
    view.upsert(aRow("c9", { state: "pending" }));
    view.heartbeat("c1", capacity([{ gpusUsed: 2 }]));
    expect(view.snapshot(datasets).fleet.clusters[0]?.nodes[0]?.gpusUsed).toBe(2);
    view.remove("c2");
    view.heartbeat("c1", capacity([{ gpusUsed: 3 }]));
    expect(view.snapshot(datasets).fleet.clusters[0]?.nodes[0]?.gpusUsed).toBe(3);
  });

  it("keeps a removal of a cluster it does not know from rebuilding the snapshot", () => {
    const { view } = aView(aRow("c1"));
    view.heartbeat("c1", capacity());
    const datasets: Dataset[] = [];
    const first = view.snapshot(datasets);
    view.remove("ghost");
    expect(view.snapshot(datasets).compiled).toBe(first.compiled);
  });

  it("carries no reservations in the snapshot (the scheduler adds the open ones)", () => {
    const { view } = aView(aRow("c1"));
    view.heartbeat("c1", capacity());
    expect(view.snapshot([]).fleet.reservations).toEqual([]);
  });
});

describe("fleet view sessions at the edges", () => {
  it("admits 0 as a kind's first sequence number, and a successor's hello numbered like the newest message", () => {
    const { view } = aView(aRow("c1"));
    expect(view.hello("c1", "a", 0)).toBe("ok");
    expect(view.admit("c1", "heartbeat", "a", 0)).toBe("ok");
    view.heartbeat("c1", capacity());
    // The session is heard (ready) and its newest message is 0: a hello numbered 0 is not older than it.
    expect(view.hello("c1", "b", 0)).toBe("ok");
    expect(view.get("c1")?.agentId).toBe("b");
  });

  it("checks the live agent's hello against its own earlier hellos only, and keeps its session", () => {
    const { view } = aView(aRow("c1"));
    view.hello("c1", "a", 10);
    view.admit("c1", "heartbeat", "a", 20);
    view.heartbeat("c1", capacity());
    // A hello sent before heartbeat 20 but delivered after it: newer than hello 10, so not a replay.
    expect(view.hello("c1", "a", 15)).toBe("ok");
    expect(view.admit("c1", "heartbeat", "a", 20)).toBe("seq_backwards");
    expect(view.admit("c1", "heartbeat", "a", 21)).toBe("ok");
  });

  it("takes a hello from the agent it took back after a restart, however low its number", () => {
    const { view } = aView(aRow("c1", { agentId: "a1" }));
    expect(view.admit("c1", "heartbeat", "a1", 5)).toBe("ok");
    // No hello in this session yet: nothing to replay.
    expect(view.hello("c1", "a1", 1)).toBe("ok");
    expect(view.hello("c1", "a1", 1)).toBe("seq_backwards");
  });
});

describe("fleet view dataset copies", () => {
  const copy = (dataset: string, over: Partial<DatasetCopy> = {}): DatasetCopy => ({
    dataset,
    state: "ready",
    sizeGB: 10,
    copiedGB: 10,
    ...over,
  });
  const withCopies = (...datasets: DatasetCopy[]): CapacityReport => ({ ...capacity(), datasets });

  const fleet = () => {
    // Loaded out of name order, so the lists' order is the view's doing.
    const { view } = aView(aRow("c2"), aRow("c1"), aRow("c3", { state: "pending" }), aRow("c0"));
    view.heartbeat(
      "c2",
      withCopies(copy("d1"), copy("d2", { state: "staging", copiedGB: 4 }), copy("d3", { shards: [0] })),
    );
    view.heartbeat("c1", withCopies(copy("d1")));
    view.heartbeat("c3", withCopies(copy("d1"), copy("d4")));
    // c0 never reported.
    return view;
  };

  it("locates each dataset at the registered clusters holding a ready, whole copy, in name order", () => {
    expect([...fleet().copies()]).toEqual([["d1", ["c1", "c2"]]]);
  });

  it("lists every reported copy by dataset, staging and shards too, with its cluster, in cluster name order", () => {
    expect(Object.fromEntries(fleet().datasetCopies())).toEqual({
      d1: [
        { ...copy("d1"), cluster: "c1" },
        { ...copy("d1"), cluster: "c2" },
        { ...copy("d1"), cluster: "c3" },
      ],
      d2: [{ ...copy("d2", { state: "staging", copiedGB: 4 }), cluster: "c2" }],
      d3: [{ ...copy("d3", { shards: [0] }), cluster: "c2" }],
      d4: [{ ...copy("d4"), cluster: "c3" }],
    });
  });
});
