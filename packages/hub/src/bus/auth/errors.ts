/** Why the NATS authority refused or failed; callers (API, CLI) map these codes, never the messages. */
export type NatsAuthErrorCode =
  | "invalid_cluster_name"
  | "invalid_user"
  | "invalid_public_key"
  | "invalid_server_config"
  | "authority_corrupt"
  | "claims_update_failed";

export class NatsAuthError extends Error {
  constructor(
    readonly code: NatsAuthErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "NatsAuthError";
  }
}
