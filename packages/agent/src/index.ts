export { AGENT_VERSION, type Agent, type AgentDeps, createAgent } from "./agent.ts";
export {
  type AgentCredentials,
  CredentialsError,
  type CredentialsErrorCode,
  type CredentialsWatch,
  credsFileAuthenticator,
  parseCreds,
  type ReadFile,
  watchCredentials,
} from "./bus/credentials.ts";
export { agentCommand, reportCliError } from "./cli/agent-command.ts";
export { CliError } from "./cli/errors.ts";
export { nonNegative } from "./cli/flags.ts";
export { readFleet, untilSignal } from "./cli/process.ts";
export { startTracing } from "./cli/tracing.ts";
export { AgentConfig } from "./config.ts";
export { type ClusterDriver, type Leadership, type LogsQuery, LogsUnavailable } from "./drivers/driver.ts";
export {
  createKubernetesDriver,
  type KubernetesDriver,
  KubernetesDriverError,
  type KubernetesDriverOptions,
} from "./drivers/kubernetes/index.ts";
export * as load from "./drivers/simulated/load.ts";
export type { SimulatedLoad } from "./drivers/simulated/serving.ts";
export { createSimulatedDriver, type SimulatedDriverOptions } from "./drivers/simulated/simulated.ts";
export { type AgentLogger, createLogger } from "./logger.ts";
