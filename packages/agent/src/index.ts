export { AGENT_VERSION, type Agent, type AgentDeps, createAgent } from "./agent.ts";
export { AgentConfig } from "./config.ts";
export type { ClusterDriver, Leadership } from "./drivers/driver.ts";
export {
  createKubernetesDriver,
  type KubernetesDriver,
  KubernetesDriverError,
  type KubernetesDriverOptions,
} from "./drivers/kubernetes/index.ts";
export { createSimulatedDriver, type SimulatedDriverOptions } from "./drivers/simulated/simulated.ts";
export type { AgentLogger } from "./logger.ts";
