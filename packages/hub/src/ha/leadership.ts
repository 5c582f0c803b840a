import type { LeaseRepository } from "../store/leases.ts";
import { LEADER_LEASE } from "../store/tx.ts";
import type { Logger } from "../util/logger.ts";

export interface LeadershipOptions {
  /** How long a lease lasts without renewal; a crashed leader's successor takes over after at most this. */
  ttlMs: number;
  /** How often the holder renews and the others try to take it. */
  renewMs: number;
}

/**
 * Leader election between hub replicas on one database. Exactly one replica holds the `leader` lease and runs the
 * scheduler, relay and upkeep; its epoch fences every leader write. The holder counts its lease from when it *asked*
 * for it, with its own monotonic clock, and stops acting as leader once that time has run out without a renewal — so
 * a leader cut off from the database, or paused, never believes it leads after the lease could have passed on.
 */
export const createLeadership = (deps: {
  leases: LeaseRepository;
  holder: string;
  logger: Logger;
  options: LeadershipOptions;
  onChange: (leader: boolean, epoch: number | undefined) => void;
}) => {
  const { leases, holder, logger, options } = deps;
  let epoch: number | undefined;
  /** performance.now() past which the lease may have passed to someone else. */
  let validUntil = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  /** The last lease request, so close() can let one still on its way land before it releases. */
  let inflight: Promise<unknown> | undefined;
  // Keep a margin for the round trip and for clock rate differences between this process and the database.
  const margin = Math.min(1_000, options.ttlMs / 4);

  const set = (next: number | undefined) => {
    if (next === epoch) return;
    const was = epoch;
    epoch = next;
    logger.info(
      { holder, epoch: next, previous: was },
      next === undefined ? "no longer the leader" : "became the leader",
    );
    deps.onChange(next !== undefined, next);
  };

  const tick = async () => {
    if (stopped) return;
    const asked = performance.now();
    try {
      const request = leases.acquire(LEADER_LEASE, holder, options.ttlMs);
      inflight = request;
      const got = await request;
      if (stopped) return;
      // A grant that arrives after the lease may have passed on (a pause, a slow answer) is no grant.
      if (got && performance.now() < asked + options.ttlMs - margin) {
        validUntil = asked + options.ttlMs - margin;
        set(got.epoch);
      } else {
        set(undefined);
      }
    } catch (error) {
      logger.warn({ err: error }, "could not renew the leader lease");
    }
    if (epoch !== undefined && performance.now() >= validUntil) set(undefined);
    if (!stopped) timer = setTimeout(() => void tick(), epoch === undefined ? options.renewMs : options.renewMs);
  };

  return {
    start(): Promise<void> {
      return tick();
    },
    /** The epoch to fence leader writes with, while this replica surely leads; undefined otherwise. */
    epoch(): number | undefined {
      if (epoch !== undefined && performance.now() >= validUntil) set(undefined);
      return epoch;
    },
    isLeader(): boolean {
      return this.epoch() !== undefined;
    },
    /** A write was refused (a newer epoch exists): stop leading now, try again on the next tick. */
    stepDown(reason: string): void {
      if (epoch === undefined) return;
      logger.warn({ reason }, "stepping down");
      validUntil = 0;
      set(undefined);
    },
    async close(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      set(undefined);
      // A renewal still on its way would take the lease again after the release: let it land, then release (a no-op
      // when this replica does not hold it).
      await inflight?.catch(() => undefined);
      await leases.release(LEADER_LEASE, holder).catch(() => undefined);
    },
  };
};
export type Leadership = ReturnType<typeof createLeadership>;
