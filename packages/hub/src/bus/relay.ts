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

  const desiredState = async (cluster: string): Promise<DesiredState> => {
    const held = cache.get(cluster);
    if (held) return { ...held, sentAt: clock.now().toISOString() };
    const state = stateOf(cluster, await store.workloads.desiredState(cluster));
    remember(state);
    return state;
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
