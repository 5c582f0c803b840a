import type {
  CapacityReport,
  ClusterDescription,
  ClusterHealth,
  Dataset,
  DatasetCopy,
  Fleet,
  FleetCluster,
  Reservation,
} from "@gantry/shared";
import { compileFleet, type FleetSnapshot, patchFleet } from "../placement/index.ts";
import type { CheckpointEntry, ClusterRegistration, ClusterRow, ClusterState } from "../store/index.ts";
import type { Clock } from "../util/clock.ts";
import { sameJson } from "../util/same-json.ts";
import { capacityFingerprint } from "./capacity-change.ts";
import type { HealthThresholds } from "./health.ts";
import { healthOf } from "./health.ts";
import { fleetClusterOf } from "./snapshot.ts";

/** One cluster as the hub holds it in memory: registration from the database, the rest from its agent. */
export interface ClusterEntry {
  name: string;
  state: ClusterState;
  registration: ClusterRegistration | null;
  description: ClusterDescription;
  agentId: string | null;
  driver: string | null;
  agentVersion: string | null;
  capacity: CapacityReport | null;
  /** Hub clock when the last heartbeat arrived (never the agent's clock). */
  lastSeenAt: Date | null;
  createdAt: Date;
  /**
   * The agent session: who said hello, the last sequence number seen per message kind, and the recent
   * (hub clock − agent clock) differences of its messages, whose smallest is the agent clock's offset plus the fastest
   * delivery (see `toHubTime`).
   */
  session: { agentId: string; lastSeq: Map<string, number>; clockDiffs?: number[] } | null;
  fingerprint: string;
  /** What the engine reads of a node set as if empty (no usage, all ready): admission's empty fleet keys on it. */
  shape: string;
  /** Waiting for the next checkpoint: what it reports changed, or its last-seen time is due a refresh. */
  dirty: boolean;
  /** The report's content (nodes, accounted workloads, dataset copies) as last checkpointed or loaded. */
  checkpointed: string;
  /** Hub clock (ms) of the last-seen time last checkpointed or loaded. */
  checkpointedAt: number;
  /** What the database row last held of the agent's hello (`helloRecorded`). */
  recorded: RecordedHello;
  /** The engine's view of this cluster as last built, kept while its report, description and health stay. */
  engineView?: { fingerprint: string | null; description: ClusterDescription; cluster: FleetCluster };
}

/** What a hello says that the hub records in the cluster's row. */
export interface RecordedHello {
  agentId: string | null;
  driver: string | null;
  agentVersion: string | null;
  reported: ClusterDescription | null;
}

const recordedOf = (row: ClusterRow): RecordedHello => ({
  agentId: row.agentId,
  driver: row.driver,
  agentVersion: row.agentVersion,
  reported: row.reported,
});

/** Messages whose clock differences estimate an agent's clock offset. */
const CLOCK_WINDOW = 32;
/** Offsets below this are network delay and ordinary clock error: times are taken as the agent gave them. */
const CLOCK_TOLERANCE_MS = 2_000;

/**
 * A report that says what the last one said is not written again until the stored last-seen time is this old: at
 * 10,000 clusters, rewriting every cluster on every tick was a 4 MB statement and 10,000 row updates each 5 s. Half
 * of the default `offlineAfterMs` (60 s), so a restarted hub never takes a live cluster for offline; it may show it
 * `unknown` until its next heartbeat (at most one heartbeat interval).
 */
export const LAST_SEEN_CHECKPOINT_MS = 30_000;

/** A node set's shape: everything but usage and readiness (which the empty fleet overrides). */
export const shapeOf = (report: CapacityReport | null): string =>
  report ? JSON.stringify(report.nodes.map((n) => [n.name, n.count, n.gpu ?? null, n.cpu, n.memoryGiB, n.labels])) : "";

const contentOf = (report: CapacityReport, fingerprint: string): string =>
  `${fingerprint}|${JSON.stringify(report.accountedWorkloads)}|${JSON.stringify(report.datasets)}`;

/** Why the view refused an agent message (the metric's `reason` label). */
export type SessionVerdict = "ok" | "unknown_cluster" | "no_session" | "agent_mismatch" | "seq_backwards";

const entryOf = (row: ClusterRow): ClusterEntry => ({
  name: row.name,
  state: row.state,
  registration: row.registration,
  description: row.description,
  agentId: row.agentId,
  driver: row.driver,
  agentVersion: row.agentVersion,
  capacity: row.capacity,
  lastSeenAt: row.lastSeenAt,
  createdAt: row.createdAt,
  session: null,
  fingerprint: row.capacity ? capacityFingerprint(row.capacity) : "",
  shape: shapeOf(row.capacity),
  dirty: false,
  checkpointed: row.capacity ? contentOf(row.capacity, capacityFingerprint(row.capacity)) : "",
  checkpointedAt: row.lastSeenAt?.getTime() ?? 0,
  recorded: recordedOf(row),
});

/**
 * The fleet as the hub sees it right now, in memory: capacity is soft state, replaced by every heartbeat (only the
 * newest matters), so heartbeats never touch the database. The database keeps registrations and a batched
 * checkpoint of capacity (`checkpoint()`), loaded at start so a restarted hub has a view before the first heartbeats.
 * The scheduler decides on `snapshot()`, compiled once per change and reused by every pass until the next one.
 */
export const createFleetView = (deps: { clock: Clock; thresholds: HealthThresholds }) => {
  const entries = new Map<string, ClusterEntry>();
  /**
   * Grows when the set of clusters or what they are changes — a registration, a removal, a cluster's first capacity
   * report, a node set's shape — but not with usage: what admission caches about "the fleet as if empty" keys on it.
   */
  let membership = 0;
  let cached: { membership: number; datasets: readonly Dataset[]; fleet: Fleet; compiled: FleetSnapshot } | undefined;
  /** Every entry in name order, kept until a cluster is added or removed (snapshots and lists read it often). */
  let sorted: ClusterEntry[] | undefined;

  /** The engine's view of a cluster now: the same object as last time unless its report, description or health moved. */
  const engineViewOf = (e: ClusterEntry, now: Date): FleetCluster => {
    const v = e.engineView;
    const health: ClusterHealth = healthNow(e, now);
    // The fingerprint is every node group as reported, all the engine reads of a report.
    const fingerprint = e.capacity ? e.fingerprint : null;
    if (v && v.fingerprint === fingerprint && v.description === e.description && v.cluster.health === health) {
      return v.cluster;
    }
    const cluster = fleetClusterOf(e, now, deps.thresholds);
    e.engineView = { fingerprint, description: e.description, cluster };
    return cluster;
  };

  const healthNow = (e: ClusterEntry, now: Date): ClusterHealth =>
    e.capacity ? healthOf(e.lastSeenAt, now, deps.thresholds) : "unknown";

  return {
    /** Replace the view's registrations with the database's (start-up, and after a replica changed them). */
    load(rows: readonly ClusterRow[]): void {
      for (const row of rows) this.upsert(row);
    },

    /** Take a registration change from the database row, keeping what the agent reported since. */
    upsert(row: ClusterRow): ClusterEntry {
      const existing = entries.get(row.name);
      if (!existing) {
        const e = entryOf(row);
        entries.set(row.name, e);
        sorted = undefined;
        membership++;
        return e;
      }
      // What the engine and admission read of a registration: a hello or an approval that repeats it changes neither.
      const same =
        existing.state === row.state && JSON.stringify(existing.description) === JSON.stringify(row.description);
      existing.recorded = recordedOf(row);
      existing.state = row.state;
      existing.registration = row.registration;
      // A description equal to the one held keeps its object: the engine's view of the cluster is kept with it.
      if (!same) existing.description = row.description;
      existing.agentVersion = row.agentVersion ?? existing.agentVersion;
      existing.driver = row.driver ?? existing.driver;
      if (!existing.capacity && row.capacity) {
        existing.capacity = row.capacity;
        existing.lastSeenAt = row.lastSeenAt;
        existing.fingerprint = capacityFingerprint(row.capacity);
        existing.shape = shapeOf(row.capacity);
        existing.checkpointed = contentOf(row.capacity, existing.fingerprint);
        existing.checkpointedAt = row.lastSeenAt?.getTime() ?? 0;
        membership++;
      }
      if (!same) {
        membership++;
      }
      return existing;
    },

    remove(name: string): void {
      if (!entries.delete(name)) return;
      sorted = undefined;
      membership++;
    },

    /**
     * Whether the cluster's row already holds what this hello says (same agent, driver, version and description).
     * Agents say hello every 30 s so that a hub on a fresh database learns who they are: at 10,000 clusters that was
     * 333 transactions a second (and as many on every restart), nearly all writing what the row held.
     */
    helloRecorded(name: string, m: RecordedHello & { reported: unknown }): boolean {
      const r = entries.get(name)?.recorded;
      return (
        r !== undefined &&
        r.agentId === m.agentId &&
        r.driver === m.driver &&
        r.agentVersion === m.agentVersion &&
        sameJson(r.reported, m.reported)
      );
    },

    /** See `membership` above. */
    membership: (): number => membership,

    /**
     * A hello starts an agent session; a replayed hello (same agent, old sequence number) is refused, and so is another
     * agent's hello older than the live session's newest message (a dead process's, delivered late).
     */
    hello(name: string, agentId: string, seq: number): SessionVerdict {
      const e = entries.get(name);
      if (!e) return "unknown_cluster";
      if (e.session && e.session.agentId === agentId && seq <= (e.session.lastSeq.get("hello") ?? -1)) {
        return "seq_backwards";
      }
      // Another agent's hello, older than the newest message of the session the hub hears now (sequence numbers start
      // from the clock and only grow): a late or replayed copy from a process that is gone, not a successor.
      if (e.session && e.session.agentId !== agentId && healthNow(e, deps.clock.now()) === "ready") {
        const newest = Math.max(-1, ...e.session.lastSeq.values());
        if (seq < newest) return "seq_backwards";
      }
      if (!e.session || e.session.agentId !== agentId) e.session = { agentId, lastSeq: new Map() };
      e.session.lastSeq.set("hello", seq);
      e.agentId = agentId;
      return "ok";
    },

    /**
     * May this message be applied? Only from the agent that said hello, with a sequence number that grows per kind
     * (replays and late copies are refused). After a hub restart the agent the database last knew is taken back.
     */
    admit(name: string, kind: string, agentId: string, seq: number): SessionVerdict {
      const e = entries.get(name);
      if (!e) return "unknown_cluster";
      if (!e.session) {
        if (e.agentId !== agentId) return "no_session";
        e.session = { agentId, lastSeq: new Map() };
      }
      if (e.session.agentId !== agentId) return "agent_mismatch";
      if (seq <= (e.session.lastSeq.get(kind) ?? -1)) return "seq_backwards";
      e.session.lastSeq.set(kind, seq);
      return "ok";
    },

    /** Note when an admitted message says it was sent (the agent's clock), to learn how far off that clock is. */
    observeClock(name: string, sentAt: string): void {
      const session = entries.get(name)?.session;
      const sent = Date.parse(sentAt);
      if (!session || Number.isNaN(sent)) return;
      session.clockDiffs ??= [];
      const diffs = session.clockDiffs;
      diffs.push(deps.clock.now().getTime() - sent);
      // A window, not all time: a clock the agent's machine corrects is followed within a few dozen messages.
      if (diffs.length > CLOCK_WINDOW) diffs.shift();
    },

    /**
     * An agent-reported time (a job's start or end) in the hub's clock: shifted by the agent clock's offset when that
     * is off by more than network delay explains, and never later than now. A machine whose clock is hours off must not
     * bill hours that did not run, nor bill on after the job ended.
     */
    toHubTime(name: string, iso: string | undefined): string | undefined {
      if (iso === undefined) return undefined;
      const t = Date.parse(iso);
      if (Number.isNaN(t)) return undefined;
      const diffs = entries.get(name)?.session?.clockDiffs ?? [];
      const offset = diffs.length > 0 ? Math.min(...diffs) : 0;
      const now = deps.clock.now().getTime();
      const shifted = Math.abs(offset) > CLOCK_TOLERANCE_MS ? t + offset : t;
      return new Date(Math.min(shifted, now)).toISOString();
    },

    /** Record a heartbeat's capacity; true when it changed what the engine sees (frees or takes capacity). */
    heartbeat(name: string, capacity: CapacityReport): boolean {
      const e = entries.get(name);
      if (!e) return false;
      const wasReady = e.capacity ? healthNow(e, deps.clock.now()) : "unknown";
      if (!e.capacity) membership++;
      // The same object as the last report (the bus passes it when the report repeats it): nothing to recompute.
      const same = capacity === e.capacity;
      e.capacity = capacity;
      const now = deps.clock.now();
      e.lastSeenAt = now;
      const fp = same ? e.fingerprint : capacityFingerprint(capacity);
      const changed = fp !== e.fingerprint || wasReady !== "ready";
      if (fp !== e.fingerprint) {
        // Usage changes with every placement; the shape only when nodes join, leave or change.
        const shape = shapeOf(capacity);
        if (shape !== e.shape) membership++;
        e.shape = shape;
      }
      e.fingerprint = fp;
      if (
        !e.dirty &&
        ((!same && contentOf(capacity, fp) !== e.checkpointed) ||
          now.getTime() - e.checkpointedAt >= LAST_SEEN_CHECKPOINT_MS)
      ) {
        e.dirty = true;
      }
      return changed;
    },

    get: (name: string): ClusterEntry | undefined => entries.get(name),
    list: (): ClusterEntry[] => {
      sorted ??= [...entries.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return [...sorted];
    },
    size: () => entries.size,
    health: (e: ClusterEntry): ClusterHealth => healthNow(e, deps.clock.now()),

    /**
     * Reservations the clusters' own reports do not account for yet: a reservation ends when its cluster reports
     * the workload's generation (or a later one) as accounted.
     */
    openReservations<R extends Reservation & { generation: number }>(reservations: readonly R[]): R[] {
      return reservations.filter((r) => {
        const accounted = entries.get(r.cluster)?.capacity?.accountedWorkloads;
        return !accounted?.some((a) => a.uid === r.workload && a.generation >= r.generation);
      });
    },

    /**
     * The fleet the engine decides on (registered clusters only) and its compiled form, rebuilt only when something
     * it reads changed: a quiet fleet's passes reuse one compilation.
     */
    snapshot(datasets: readonly Dataset[]): { fleet: Fleet; compiled: FleetSnapshot } {
      const now = deps.clock.now();
      const registered = this.list().filter((e) => e.state === "registered");
      const clusters = registered.map((e) => engineViewOf(e, now));
      const prev = cached;
      if (prev && prev.datasets === datasets && prev.membership === membership) {
        // The same clusters, in the same order: only what moved (usage, health) is written into a copy.
        const changed: number[] = [];
        for (let i = 0; i < clusters.length; i++) if (clusters[i] !== prev.fleet.clusters[i]) changed.push(i);
        if (changed.length === 0) return { fleet: prev.fleet, compiled: prev.compiled };
        const patched = patchFleet(prev.compiled, clusters, changed);
        if (patched) {
          const fleet: Fleet = { ...prev.fleet, clusters };
          cached = { membership, datasets, fleet, compiled: patched };
          return { fleet, compiled: patched };
        }
      }
      const fleet: Fleet = { clusters, datasets: [...datasets], reservations: [] };
      cached = { membership, datasets, fleet, compiled: compileFleet(fleet) };
      return { fleet, compiled: cached.compiled };
    },

    /**
     * Ready, whole copies of each dataset in registered clusters, as their agents last reported them: cached locations
     * the engine treats like any other (a partial, shard-only copy is not a location of the whole dataset).
     */
    copies(): Map<string, string[]> {
      const out = new Map<string, string[]>();
      for (const e of entries.values()) {
        if (e.state !== "registered") continue;
        for (const c of e.capacity?.datasets ?? []) {
          if (c.state !== "ready" || c.shards !== undefined) continue;
          const list = out.get(c.dataset);
          if (list) list.push(e.name);
          else out.set(c.dataset, [e.name]);
        }
      }
      for (const list of out.values()) list.sort();
      return out;
    },

    /** Every copy agents report (staging or ready, whole or shards), by dataset, with the cluster holding it. */
    datasetCopies(): Map<string, (DatasetCopy & { cluster: string })[]> {
      const out = new Map<string, (DatasetCopy & { cluster: string })[]>();
      for (const e of this.list()) {
        for (const c of e.capacity?.datasets ?? []) {
          const list = out.get(c.dataset) ?? [];
          list.push({ ...c, cluster: e.name });
          out.set(c.dataset, list);
        }
      }
      return out;
    },

    /**
     * Clusters whose report changed since the last call (or whose stored last-seen time is due a refresh), for one
     * batched write; and what they account for.
     */
    takeCheckpoint(): {
      entries: CheckpointEntry[];
      accounted: { cluster: string; uid: string; generation: number }[];
    } {
      const out: CheckpointEntry[] = [];
      const accounted: { cluster: string; uid: string; generation: number }[] = [];
      for (const e of entries.values()) {
        if (!e.dirty || !e.capacity || !e.lastSeenAt) continue;
        e.dirty = false;
        const content = contentOf(e.capacity, e.fingerprint);
        // What the row already holds is not sent again: its last-seen time is what is due.
        const same = content === e.checkpointed;
        e.checkpointed = content;
        e.checkpointedAt = e.lastSeenAt.getTime();
        out.push(
          same
            ? { name: e.name, lastSeenAt: e.lastSeenAt }
            : { name: e.name, capacity: e.capacity, lastSeenAt: e.lastSeenAt },
        );
        for (const a of e.capacity.accountedWorkloads) accounted.push({ cluster: e.name, ...a });
      }
      return { entries: out, accounted };
    },

    /** Put entries back as dirty after a failed checkpoint write (the next tick retries). */
    restoreCheckpoint(names: readonly string[]): void {
      for (const n of names) {
        const e = entries.get(n);
        if (!e) continue;
        e.dirty = true;
        // Unknown what the row holds now: the retry writes the whole report, not only the last-seen time.
        e.checkpointed = "";
      }
    },
  };
};
export type FleetView = ReturnType<typeof createFleetView>;
