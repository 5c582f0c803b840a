/**
 * What a leader last recorded of each cluster's hello, so a repeat is not written again. Agents say hello every 30 s
 * (a hub on a fresh database learns who they are that way): at 10,000 clusters that is 333 transactions a second,
 * nearly all repeating what the row already holds. A hello counts as a repeat when the same leader epoch recorded the
 * same agent saying the same thing for the same view entry (a cluster removed and registered again is a new entry)
 * less than `refreshMs` ago.
 */
export const createAnnouncements = <E extends object>(options: { refreshMs: number; maxClusters: number }) => {
  const last = new Map<string, { key: string; at: number; entry: E }>();
  return {
    isRepeat(cluster: string, key: string, entry: E | undefined, nowMs: number): boolean {
      const l = last.get(cluster);
      return entry !== undefined && l?.entry === entry && l.key === key && nowMs - l.at < options.refreshMs;
    },
    recorded(cluster: string, key: string, entry: E, nowMs: number): void {
      // Bounded whatever subjects agents use; forgetting only costs one more write per cluster.
      if (last.size >= options.maxClusters && !last.has(cluster)) last.clear();
      last.set(cluster, { key, at: nowMs, entry });
    },
  };
};

/** What a hello says that the hub records, under the epoch of the leader recording it. */
export const announcementKey = (
  epoch: number,
  m: { agentId: string; driver: string; agentVersion: string; description: unknown },
): string => `${epoch}|${m.agentId}|${m.driver}|${m.agentVersion}|${JSON.stringify(m.description)}`;
