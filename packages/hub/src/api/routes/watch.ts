import type { SQL } from "drizzle-orm";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { WorkloadChange } from "../../store/index.ts";
import type { ApiDeps } from "../deps.ts";
import { workloadSummary, workloadView } from "../views.ts";

/**
 * How often a watch looks for changes (sooner when this replica commits one: `ApiDeps.changes`), and how far back it
 * looks again for commits that landed out of order.
 */
const POLL_MS = 250;
const RECHECK_MS = 5_000;
/** Shortest time between two polls of one watch, however often it is woken. */
const MIN_GAP_MS = 25;
const BATCH = 500;
/** Most skipped versions a watch keeps checking (past it, the oldest are given up). */
const MAX_GAPS = 2_000;

export interface WatchOptions {
  tenants: readonly string[] | undefined;
  where: SQL | undefined;
  /** Resume after this resource version; without it the stream starts with every current workload as ADDED. */
  from?: number;
  summary: boolean;
}

/**
 * A watch over workloads as Server-Sent Events (Kubernetes' watch, over SSE): `ADDED`, `MODIFIED` and `DELETED`
 * events carrying the object, each with its resource version as the event id, and a `BOOKMARK` every few seconds so
 * a client can resume from where it was (`resourceVersion`, or the `Last-Event-ID` header its SSE client sends).
 * Resource versions are taken before commit, so a transaction may land after a later one: versions a poll skipped
 * over are looked at again for a few seconds, and nothing is sent twice for the same version.
 */
export const watchWorkloads = (c: Context, deps: ApiDeps, options: WatchOptions) =>
  streamSSE(c, async (stream) => {
    const { store } = deps;
    const lastEventId = c.req.header("last-event-id");
    let from = options.from ?? (lastEventId && /^\d{1,18}$/.test(lastEventId) ? Number(lastEventId) : undefined);
    const sent = new Map<string, number>();
    const render = options.summary ? workloadSummary : workloadView;
    let closed = false;
    stream.onAbort(() => {
      closed = true;
    });

    const emit = async (change: WorkloadChange, initial: boolean) => {
      const uid = change.type === "deleted" ? change.uid : change.workload.uid;
      if ((sent.get(uid) ?? -1) >= change.rv) return;
      const known = sent.has(uid);
      sent.set(uid, change.rv);
      const type = change.type === "deleted" ? "DELETED" : initial || !known ? "ADDED" : "MODIFIED";
      const object =
        change.type === "deleted"
          ? {
              metadata: {
                name: change.name,
                tenant: change.tenant,
                uid: change.uid,
                resourceVersion: String(change.rv),
              },
            }
          : render(change.workload);
      await stream.writeSSE({ event: type, id: String(change.rv), data: JSON.stringify({ type, object }) });
    };

    if (from === undefined) {
      // Start from now: every current workload as ADDED, then changes after the version read before the listing.
      from = await store.workloads.currentRv();
      let after: { tenant: string; name: string } | undefined;
      do {
        const page = await store.workloads.list({
          ...(options.tenants !== undefined ? { tenants: options.tenants } : {}),
          ...(options.where ? { where: options.where } : {}),
          limit: BATCH,
          ...(after ? { after } : {}),
        });
        for (const w of page.items) await emit({ type: "upsert", rv: w.rv, workload: w }, true);
        after = page.next;
      } while (after && !closed);
    }
    let high = from;
    let lastBookmark = Date.now();
    /** Versions skipped over, with when: a transaction that took one may still commit (checked for a few seconds). */
    const gaps = new Map<number, number>();
    while (!closed) {
      const now = Date.now();
      for (const [rv, at] of gaps) if (now - at > RECHECK_MS || gaps.size > MAX_GAPS) gaps.delete(rv);
      // Skipped versions that committed since, and what is new, in one round trip (oldest first).
      const late = [...gaps.keys()];
      const all = await store.workloads.changes({ after: high, limit: BATCH, late }, options.tenants, options.where);
      let fresh = 0;
      for (const change of all) {
        if (closed) break;
        if (change.rv <= high) {
          gaps.delete(change.rv);
          await emit(change, false);
          continue;
        }
        fresh++;
        for (let rv = high + 1; rv < change.rv && gaps.size < MAX_GAPS; rv++) gaps.set(rv, now);
        await emit(change, false);
        high = Math.max(high, change.rv);
      }
      if (now - lastBookmark > 5_000) {
        lastBookmark = now;
        await stream.writeSSE({
          event: "BOOKMARK",
          id: String(high),
          data: JSON.stringify({ type: "BOOKMARK", resourceVersion: String(high) }),
        });
      }
      if (fresh < BATCH) {
        if (deps.changes) {
          await deps.changes.wait(POLL_MS);
          // Woken by a commit: still at most one poll per MIN_GAP_MS, or a busy hub (hundreds of commits a second)
          // would have every watch polling back to back.
          const gap = Date.now() - now;
          if (gap < MIN_GAP_MS) await stream.sleep(MIN_GAP_MS - gap);
        } else await stream.sleep(POLL_MS);
      }
    }
  });
