import { z } from "zod";

/** A logs stream's id: one subject token (it ends the reply subject). */
const StreamId = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
  .max(63);

/** Hub → agent: the lines of one replica of a placement, the last `tailLines`, and then new ones if `follow`. */
export const LogsRequest = z.strictObject({
  stream: StreamId,
  uid: z.string().min(1).max(128),
  /** The replica within this cluster's placement (0-based). */
  replica: z.number().int().min(0).max(100_000),
  follow: z.boolean(),
  tailLines: z.number().int().min(1).max(100_000).optional(),
});
export type LogsRequest = z.infer<typeof LogsRequest>;

/** Hub → agent: stop a followed stream (the client went away). */
export const LogsCancel = z.strictObject({ stream: StreamId });

/** Agent → hub: some lines; the last chunk has `done` (and `error` when the agent could not read the logs). */
export const LogsChunk = z.strictObject({
  seq: z.number().int().min(0),
  lines: z.array(z.string().max(65_536)).max(10_000),
  done: z.boolean(),
  error: z.string().max(4_096).optional(),
});
export type LogsChunk = z.infer<typeof LogsChunk>;
