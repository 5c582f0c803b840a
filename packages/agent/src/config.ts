import { z } from "zod";

/** Agent configuration, parsed once at the edge. */
export const AgentConfig = z.object({
  cluster: z.string().min(1),
  natsUrl: z.string().default("nats://127.0.0.1:4222"),
  agentId: z.string().min(1).optional(),
  heartbeatIntervalMs: z.coerce.number().int().positive().default(5_000),
  /** Status is sent on every change; this is the floor for a cluster where nothing changes. */
  statusIntervalMs: z.coerce.number().int().positive().default(10_000),
  /** Full desired-state pull, so a missed message never leaves the cluster wrong for long. */
  resyncIntervalMs: z.coerce.number().int().positive().default(30_000),
});
export type AgentConfig = z.infer<typeof AgentConfig>;
export type AgentConfigInput = z.input<typeof AgentConfig>;
