import type { DesiredState } from "@gantry/shared";
import { envelopeFor } from "@gantry/shared";
import type { Store } from "../store/index.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { coalesced } from "../util/serial.ts";

/**
 * Publishes the desired state of every cluster the outbox names. Publishing the full state is
 * idempotent, so a crash between publish and mark only repeats a message the agent already has.
 */
export const createRelay = (deps: {
  store: Store;
  clock: Clock;
  logger: Logger;
  publish: (cluster: string, state: DesiredState) => void;
}) => {
  const { store, clock, logger } = deps;
  const desiredState = async (cluster: string): Promise<DesiredState> => {
    const { revision, placements } = await store.workloads.desiredState(cluster);
    return { ...envelopeFor(cluster, clock.now()), kind: "desired", revision, placements };
  };
  const drain = coalesced(
    async () => {
      for (;;) {
        const rows = await store.outbox.pending();
        if (rows.length === 0) return;
        for (const cluster of new Set(rows.map((r) => r.cluster))) {
          deps.publish(cluster, await desiredState(cluster));
        }
        await store.outbox.markPublished(
          rows.map((r) => r.id),
          clock.now(),
        );
      }
    },
    (error) => logger.error({ err: error }, "outbox relay failed; will retry"),
  );
  return { kick: () => drain.kick(), idle: () => drain.idle(), desiredState };
};
export type Relay = ReturnType<typeof createRelay>;
