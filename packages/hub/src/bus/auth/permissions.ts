import { Name, subjects } from "@gantry/shared";
import { NatsAuthError } from "./errors.ts";

/** What a user may publish and subscribe to; the server enforces it from the user's JWT. */
export interface UserPermissions {
  publish: string[];
  subscribe: string[];
  /**
   * May publish one reply to the reply subject of a request it received, whatever that subject is
   * (the requester chose it). Only the hub needs this.
   */
  allowResponses?: boolean;
}

/** Hub replicas talk to each other here; nothing else lives under it. */
export const HUBS_SUBJECT_PREFIX = "gantry.v1.hubs";
/** nats.js's default inbox prefix, which the hub keeps (it sets no `inboxPrefix`). */
export const DEFAULT_INBOX_PREFIX = "_INBOX";

/** A cluster name checked as one subject token (DNS-1123 label), or a typed error naming it. */
export const clusterToken = (cluster: string): string => {
  const parsed = Name.safeParse(cluster);
  if (!parsed.success) {
    throw new NatsAuthError(
      "invalid_cluster_name",
      `cluster name ${JSON.stringify(cluster)} is not a DNS-1123 label (lower-case letters, digits and '-', at most 63)`,
    );
  }
  return parsed.data;
};

/**
 * The hub: says everything under `gantry.v1.hub.>`, hears everything agents say, talks to the other
 * replicas, and answers requests (agents' sync) on whatever reply subject they chose.
 */
export const hubPermissions = (options: { inboxPrefix?: string } = {}): UserPermissions => {
  const inbox = options.inboxPrefix ?? DEFAULT_INBOX_PREFIX;
  return {
    publish: ["gantry.v1.hub.>", `${HUBS_SUBJECT_PREFIX}.>`],
    // Desired states too: every replica keeps its cache warm from what the leader publishes.
    subscribe: ["gantry.v1.agent.>", "gantry.v1.hub.*.desired", `${HUBS_SUBJECT_PREFIX}.>`, `${inbox}.>`],
    allowResponses: true,
  };
};

/**
 * One cluster's agent: it may speak only for its own cluster and hear only what is addressed to it.
 * Its request inbox (`gantry.v1.hub.<cluster>.inbox`) lies inside what it may subscribe to, so the
 * hub's replies reach it and no other agent can read them.
 */
export const agentPermissions = (cluster: string): UserPermissions => {
  const name = clusterToken(cluster);
  return { publish: [`${subjects.agentPrefix(name)}.>`], subscribe: [`${subjects.hubPrefix(name)}.>`] };
};

/** The authority's own SYS user: it may only push account updates and hear the server's answers. */
export const claimsPusherPermissions = (): UserPermissions => ({
  publish: ["$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE"],
  subscribe: [`${DEFAULT_INBOX_PREFIX}.>`],
});

/**
 * Whether `subject` is a NATS subject filter: dot-separated non-empty tokens without whitespace,
 * `*` only as a whole token, `>` only as the whole last token.
 */
export const isSubjectFilter = (subject: string): boolean => {
  if (subject.length === 0 || subject.length > 256) return false;
  const tokens = subject.split(".");
  return tokens.every((t, i) => {
    if (t.length === 0 || /[\s\p{Cc}]/u.test(t)) return false;
    if (t === ">") return i === tokens.length - 1;
    return !t.includes(">") && (t === "*" || !t.includes("*"));
  });
};
