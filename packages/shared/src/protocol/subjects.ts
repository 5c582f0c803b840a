/**
 * NATS subjects. Everything an agent publishes is under `gantry.v1.agent.<cluster>.`, everything it
 * receives under `gantry.v1.hub.<cluster>.`, so NATS permissions can confine each agent to its own
 * cluster: publish `gantry.v1.agent.C.>`, subscribe `gantry.v1.hub.C.>` (its request inbox lives
 * there too, see `agentInboxPrefix`).
 */
export const SUBJECT_ROOT = "gantry.v1";

const token = (cluster: string): string => {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(cluster)) {
    throw new Error(`cluster name ${JSON.stringify(cluster)} is not a valid subject token`);
  }
  return cluster;
};

export const subjects = {
  /** Agent → hub. */
  agentPrefix: (cluster: string) => `${SUBJECT_ROOT}.agent.${token(cluster)}`,
  hello: (cluster: string) => `${SUBJECT_ROOT}.agent.${token(cluster)}.hello`,
  heartbeat: (cluster: string) => `${SUBJECT_ROOT}.agent.${token(cluster)}.heartbeat`,
  status: (cluster: string) => `${SUBJECT_ROOT}.agent.${token(cluster)}.status`,
  /** Request/reply: the agent asks for its full desired state. */
  sync: (cluster: string) => `${SUBJECT_ROOT}.agent.${token(cluster)}.sync`,
  signals: (cluster: string) => `${SUBJECT_ROOT}.agent.${token(cluster)}.signals`,
  /** Hub → agent. */
  hubPrefix: (cluster: string) => `${SUBJECT_ROOT}.hub.${token(cluster)}`,
  desired: (cluster: string) => `${SUBJECT_ROOT}.hub.${token(cluster)}.desired`,
  /** Hub → agent: send a placement's logs (see `LogsRequest`); `logsCancel` stops a followed stream. */
  logs: (cluster: string) => `${SUBJECT_ROOT}.hub.${token(cluster)}.logs`,
  logsCancel: (cluster: string) => `${SUBJECT_ROOT}.hub.${token(cluster)}.logs.cancel`,
  /**
   * Agent → hub: the chunks of one logs stream. Under the agent's own prefix, so only that cluster's agent can
   * publish there (the hub listens on this exact subject for the request's lifetime).
   */
  logsReply: (cluster: string, stream: string) => `${SUBJECT_ROOT}.agent.${token(cluster)}.logs.${token(stream)}`,
  /** Wildcards the hub subscribes to. */
  allHello: `${SUBJECT_ROOT}.agent.*.hello`,
  allHeartbeats: `${SUBJECT_ROOT}.agent.*.heartbeat`,
  allStatus: `${SUBJECT_ROOT}.agent.*.status`,
  allSync: `${SUBJECT_ROOT}.agent.*.sync`,
  allSignals: `${SUBJECT_ROOT}.agent.*.signals`,
  /** Every cluster's desired state, as hub replicas publish it (they keep each other's caches warm). */
  allDesired: `${SUBJECT_ROOT}.hub.*.desired`,
  /** Hub replicas to each other: a change the leader should act on now (schedule, publish). */
  hubsKick: `${SUBJECT_ROOT}.hubs.kick`,
} as const;

/** Inbox prefix for an agent's requests, inside the subjects it may subscribe to. */
export const agentInboxPrefix = (cluster: string): string => `${SUBJECT_ROOT}.hub.${token(cluster)}.inbox`;

/** The message kind of an agent subject (`gantry.v1.agent.<cluster>.<kind>`). */
export const kindOfSubject = (subject: string): string | undefined => {
  const parts = subject.split(".");
  return parts.length === 5 && parts[2] === "agent" ? parts[4] : undefined;
};

/** The cluster token of an agent subject (`gantry.v1.agent.<cluster>.…`). */
export const clusterOfSubject = (subject: string): string | undefined => {
  const parts = subject.split(".");
  return `${parts[0]}.${parts[1]}` === SUBJECT_ROOT && parts[2] === "agent" ? parts[3] : undefined;
};
