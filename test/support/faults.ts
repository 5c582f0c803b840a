import type { RunningNatsServer } from "@gantry/hub";
import { type Stack, startSimAgent, type TestAgent } from "./stack.ts";

/**
 * Kill the stack's nats-server and start a new one on the same port, with the same config, after `downMs`. Clients
 * keep their URL, so they must reconnect by themselves; the stack stops the new one on close.
 */
export const restartNats = async (stack: Stack, downMs = 500): Promise<RunningNatsServer> => {
  await stack.nats.stop();
  await new Promise((r) => setTimeout(r, downMs));
  return stack.startNats();
};

/** Stop a cluster's agent, as if its process died; the stack no longer closes it. */
export const stopAgent = async (stack: Stack, cluster: string): Promise<void> => {
  const current = stack.agents.get(cluster);
  if (!current) throw new Error(`no agent for ${cluster}`);
  await current.agent.close();
  stack.agents.delete(cluster);
};

/**
 * Start a new agent with a fresh, empty simulated cluster for `cluster` (the same settings as the
 * stack's own agents), replacing the old one in `stack.agents`.
 */
export const startAgent = async (stack: Stack, cluster: string, secondsPerHour = 2): Promise<TestAgent> => {
  const description = stack.fleet.clusters.find((c) => c.name === cluster);
  if (!description) throw new Error(`${cluster} is not in the stack's fleet`);
  const started = await startSimAgent(description, stack.nats.url, secondsPerHour, stack.credsFile(cluster));
  stack.agents.set(cluster, started);
  return started;
};
