import type { DesiredState } from "@gantry/shared";
import { PROTOCOL_VERSION } from "@gantry/shared";
import type { Store } from "../store/index.ts";
import type { StoredDesiredState } from "../store/workloads.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { coalesced } from "../util/serial.ts";

/** Most clusters whose desired state one relay round loads and publishes (a cold start drains in rounds). */
const ROUND = 500;

/**
 * Publishes the desired state of every cluster the outbox names, and answers agents' syncs from memory. Publishing
 * the full state is idempotent, so a crash between publish and mark only repeats a message the agent already has.
 * Only the leader drains the outbox; every replica keeps the cache warm from what the leader publishes, so a sync
 * can be answered by any replica without a query.
 */
export const createRelay = (deps: {
  store: Store;
  clock: Clock;
  logger: Logger;
  fenceAfterSeconds: number;
  /** The leader's epoch, or undefined when this replica is not the leader (it then never drains). */
  epoch: () => number | undefined;
  publish: (cluster: string, state: DesiredState) => void;
}) => {
  const { store, clock, logger } = deps;
  const cache = new Map<string, DesiredState>();

  const stateOf = (cluster: string, s: StoredDesiredState): DesiredState => ({
    protocol: PROTOCOL_VERSION,
    cluster,
    sentAt: clock.now().toISOString(),
    kind: "desired",
    origin: s.origin,
    revision: s.revision,
    fenceAfterSeconds: deps.fenceAfterSeconds,
    unchanged: false,
    placements: s.placements,
  });

  /** Keep a state if it is newer than what the cache holds (a late copy never replaces a newer one). */
  const remember = (state: DesiredState): void => {
    const held = cache.get(state.cluster);
    if (held && held.origin === state.origin && held.revision > state.revision) return;
    cache.set(state.cluster, { ...state, unchanged: false });
  };

  /**
   * Clusters whose state is being loaded, and who waits for it. After a restart every agent syncs at once with the
   * cache empty: one query per sync would queue thousands of queries in front of the API's, so the misses that
   * arrive together are loaded together, in rounds of at most `ROUND`.
   */
  let missing = new Map<string, Array<{ resolve: (s: DesiredState) => void; reject: (e: unknown) => void }>>();
  let loading = false;
  const loadMissing = async (): Promise<void> => {
    loading = true;
    try {
      while (missing.size > 0) {
        const batch = missing;
        missing = new Map();
        const names = [...batch.keys()];
        for (let i = 0; i < names.length; i += ROUND) {
          const round = names.slice(i, i + ROUND);
          let states: Map<string, StoredDesiredState>;
          try {
            states = await store.workloads.desiredStates(round);
          } catch (error) {
            for (const name of round) for (const w of batch.get(name) ?? []) w.reject(error);
            continue;
          }
          for (const name of round) {
            remember(stateOf(name, states.get(name) ?? { origin: "none", revision: 0, placements: [] }));
            // What the cache holds now, which a publish during the query may have made newer than what it read.
            const state = cache.get(name)!;
            for (const w of batch.get(name) ?? []) w.resolve({ ...state, sentAt: clock.now().toISOString() });
          }
        }
      }
    } finally {
      loading = false;
    }
  };

  const desiredState = async (cluster: string): Promise<DesiredState> => {
    const held = cache.get(cluster);
    if (held) return { ...held, sentAt: clock.now().toISOString() };
    return new Promise<DesiredState>((resolve, reject) => {
      const waiting = missing.get(cluster);
      if (waiting) waiting.push({ resolve, reject });
      else missing.set(cluster, [{ resolve, reject }]);
      // The first miss of a burst waits a turn of the event loop for the others; later ones join the next round.
      if (!loading && missing.size === 1) setImmediate(() => void loadMissing());
    });
  };

  const drain = coalesced(
    async () => {
      for (;;) {
        if (deps.epoch() === undefined) return;
        const rows = await store.outbox.pending(ROUND);
        if (rows.length === 0) return;
        const clusters = [...new Set(rows.map((r) => r.cluster))];
        const states = await store.workloads.desiredStates(clusters);
        for (const cluster of clusters) {
          const state = stateOf(cluster, states.get(cluster) ?? { origin: "none", revision: 0, placements: [] });
          cache.set(cluster, state);
          deps.publish(cluster, state);
        }
        await store.outbox.markPublished(
          rows.map((r) => r.id),
          clock.now(),
        );
      }
    },
    (error) => logger.error({ err: error }, "outbox relay failed; will retry"),
  );

  return {
    kick: () => drain.kick(),
    idle: () => drain.idle(),
    desiredState,
    /** A sync from an agent holding `revision`: a short answer when it is current. */
    async sync(cluster: string, origin: string | undefined, revision: number): Promise<DesiredState> {
      const state = await desiredState(cluster);
      if (origin === state.origin && revision === state.revision) return { ...state, unchanged: true, placements: [] };
      return state;
    },
    /** The revision this replica knows for a cluster, if any (heartbeat acks carry it). */
    revisionOf: (cluster: string): number | undefined => cache.get(cluster)?.revision,
    remember,
    /** Forget everything (this replica just became leader and may have missed publishes). */
    clear: () => cache.clear(),
  };
};
export type Relay = ReturnType<typeof createRelay>;
