import { z } from "zod";

const ms = (fallback: number) => z.coerce.number().int().positive().max(86_400_000).default(fallback);

/** Agent configuration, parsed once at the edge. */
export const AgentConfig = z.strictObject({
  cluster: z.string().min(1),
  natsUrl: z.string().default("nats://127.0.0.1:4222"),
  agentId: z.string().min(1).optional(),
  /** The agent's NATS credentials (`.creds`, from `gantry cluster add`): re-read on every reconnect, watched for rotation. */
  natsCreds: z.string().min(1).optional(),
  heartbeatIntervalMs: ms(5_000),
  /** How long a heartbeat waits for the hub's ack. */
  heartbeatTimeoutMs: ms(2_000),
  /** A full status report (every placement) this often; changes are reported as they happen. */
  statusIntervalMs: ms(30_000),
  /** Full desired-state pull, so a missed message never leaves the cluster wrong for long. */
  resyncIntervalMs: ms(30_000),
  /** How often the credentials file is checked for rotated credentials. */
  credsCheckIntervalMs: ms(2_000),
  /** Lease length until the hub says otherwise (its acks and desired states carry the real one). */
  fenceAfterMsDefault: ms(120_000),
});
export type AgentConfig = z.infer<typeof AgentConfig>;
export type AgentConfigInput = z.input<typeof AgentConfig>;
