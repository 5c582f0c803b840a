import { LogsCancel, type LogsChunk, LogsRequest, subjects } from "@gantry/shared";
import type { ClusterDriver } from "./drivers/driver.ts";
import type { AgentLogger } from "./logger.ts";

/** Most followed streams one agent serves at once (each holds a timer and a subscription's worth of work). */
const MAX_STREAMS = 32;

/**
 * The agent's side of `gantry logs`: the hub asks on `gantry.v1.hub.<cluster>.logs`, the agent answers in chunks on
 * `gantry.v1.agent.<cluster>.logs.<stream>` (its own prefix: no other agent can write there), the last one `done`.
 */
export const createLogsServer = (deps: {
  cluster: string;
  driver: ClusterDriver;
  publish: (subject: string, body: string) => void;
  logger: AgentLogger;
}) => {
  const { cluster, driver, logger } = deps;
  const running = new Map<string, AbortController>();

  const serve = async (request: LogsRequest) => {
    const subject = subjects.logsReply(cluster, request.stream);
    let seq = 0;
    const send = (chunk: Omit<LogsChunk, "seq">) => deps.publish(subject, JSON.stringify({ seq: seq++, ...chunk }));
    if (!driver.logs) return send({ lines: [], done: true, error: `the ${driver.kind} driver cannot read logs` });
    if (running.size >= MAX_STREAMS)
      return send({ lines: [], done: true, error: "too many logs streams; retry later" });
    const abort = new AbortController();
    running.set(request.stream, abort);
    try {
      for await (const lines of driver.logs({ ...request, signal: abort.signal })) {
        if (abort.signal.aborted) break;
        send({ lines, done: false });
      }
      send({ lines: [], done: true });
    } catch (e) {
      send({ lines: [], done: true, error: e instanceof Error ? e.message : String(e) });
    } finally {
      running.delete(request.stream);
    }
  };

  return {
    /** A request's body, straight off the bus: parsed here (the boundary), answered in the background. */
    request(body: unknown) {
      const parsed = LogsRequest.safeParse(body);
      if (!parsed.success) return logger.warn({}, "dropped an invalid logs request");
      void serve(parsed.data).catch((e: unknown) => logger.warn({ err: e }, "a logs stream failed"));
    },
    cancel(body: unknown) {
      const parsed = LogsCancel.safeParse(body);
      if (parsed.success) running.get(parsed.data.stream)?.abort();
    },
    close() {
      for (const a of running.values()) a.abort();
    },
  };
};
