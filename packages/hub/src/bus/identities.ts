import { credsFileAuthenticator } from "@gantry/agent";
import { type Authenticator, credsAuthenticator } from "@nats-io/transport-node";
import type { ClusterCredentials } from "../api/deps.ts";
import type { Store } from "../store/index.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { agentPermissions, type NatsAuthority } from "./auth/index.ts";

/**
 * How the hub proves who it is to NATS: as the authority's own hub user (the hub mints every identity), from a
 * credentials file (another process holds the authority), or not at all (a bus without authentication).
 */
export const hubAuthenticator = async (options: {
  authority?: NatsAuthority;
  credsFile?: string;
}): Promise<Authenticator | undefined> => {
  if (options.authority) {
    const hub = await options.authority.hubCreds();
    return credsAuthenticator(new TextEncoder().encode(hub.creds));
  }
  if (options.credsFile) return credsFileAuthenticator(options.credsFile);
  return undefined;
};

/** Cluster credentials minted by the hub's authority: each agent may speak only for its own cluster. */
export const clusterCredentials = (authority: NatsAuthority): ClusterCredentials => ({
  async issue(cluster) {
    const user = await authority.mintUser({ name: `agent-${cluster}`, permissions: agentPermissions(cluster) });
    return { publicKey: user.publicKey, creds: user.creds };
  },
  async revoke(publicKeys) {
    for (const key of publicKeys) await authority.revoke(key);
  },
});

/** Revoke the keys whose rotation grace period has ended (the leader's upkeep calls it). */
export const revokeDueCredentials =
  (deps: { store: Store; clock: Clock; logger: Logger; credentials: ClusterCredentials }) => async () => {
    const due = await deps.store.clusters.dueForRevocation(deps.clock.now());
    for (const { publicKey, cluster } of due) {
      await deps.credentials.revoke([publicKey]);
      await deps.store.clusters.markRevoked([publicKey], deps.clock.now());
      deps.logger.info({ cluster, key: publicKey }, "rotated credentials revoked after their grace period");
    }
  };
