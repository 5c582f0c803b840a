import { randomBytes } from "node:crypto";
import { type LogsChunk, LogsChunk as LogsChunkSchema, type LogsRequest, subjects } from "@gantry/shared";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { HubError } from "../errors.ts";

/** How long the agent may take to send the first chunk, and then between chunks of a stream that is not followed. */
const FIRST_CHUNK_MS = 10_000;

export type LogsQuery = Omit<LogsRequest, "stream">;

/**
 * The hub's side of `gantry logs`: ask a cluster's agent for a replica's lines and read its answer, chunk by chunk.
 * The answer comes on a subject under the agent's own prefix (`gantry.v1.agent.<cluster>.logs.<stream>`), which
 * only that cluster's agent may publish on: who answered is what NATS authenticated, not what the body says.
 */
export const createLogsClient = (nc: NatsConnection) => ({
  async *stream(cluster: string, query: LogsQuery, signal: AbortSignal): AsyncGenerator<string[]> {
    const stream = randomBytes(8).toString("hex");
    const sub: Subscription = nc.subscribe(subjects.logsReply(cluster, stream));
    const cancel = () => {
      if (!nc.isClosed()) nc.publish(subjects.logsCancel(cluster), JSON.stringify({ stream }));
      sub.unsubscribe();
    };
    signal.addEventListener("abort", cancel, { once: true });
    nc.publish(subjects.logs(cluster), JSON.stringify({ stream, ...query } satisfies LogsRequest));
    const it = sub[Symbol.asyncIterator]();
    let first = true;
    try {
      while (!signal.aborted) {
        // A followed stream may be quiet for long; the first chunk (the lines so far) must come promptly.
        const next = await (first || !query.follow ? withTimeout(it.next(), FIRST_CHUNK_MS, cluster) : it.next());
        if (next.done) return;
        first = false;
        let chunk: LogsChunk;
        try {
          chunk = LogsChunkSchema.parse(next.value.json());
        } catch {
          throw new HubError("unavailable", `the agent of ${cluster} sent a logs chunk the hub cannot read`);
        }
        if (chunk.lines.length > 0) yield chunk.lines;
        if (chunk.error) throw new HubError("not_found", `cluster ${cluster}: ${chunk.error}`);
        if (chunk.done) return;
      }
    } finally {
      signal.removeEventListener("abort", cancel);
      if (!signal.aborted) sub.unsubscribe();
    }
  },
});
export type LogsClient = ReturnType<typeof createLogsClient>;

const withTimeout = <T>(p: Promise<T>, ms: number, cluster: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new HubError("unavailable", `the agent of ${cluster} did not answer a logs request within ${ms / 1000} s`),
        ),
      ms,
    );
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
};
