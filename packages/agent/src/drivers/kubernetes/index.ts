export { createKubernetesDriver, type KubernetesDriver } from "./driver.ts";
export { KubernetesDriverConfig, optionsFromConfig } from "./driver-config.ts";
export { KubernetesDriverError, type KubernetesErrorCode } from "./errors.ts";
export {
  ANNOTATION_DECISION,
  ANNOTATION_GENERATION,
  LABEL_MANAGED_BY,
  LABEL_TENANT,
  LABEL_WORKLOAD,
} from "./manifest.ts";
export { type NodeGpuFacts, parseNvidiaSmi, readNvidiaSmi } from "./node-facts.ts";
export type {
  DriverLogger,
  KubernetesDriverOptions,
  LeaderElectionOptions,
  NamespacePolicy,
  ServingOptions,
} from "./options.ts";
export type { RoutingConfig } from "./routing.ts";
