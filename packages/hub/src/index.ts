export {
  type Action,
  adminTokenPath,
  authorize,
  ensureAdminToken,
  issueToken,
  type Principal,
  tenantScope,
} from "./api/auth/index.ts";
export * from "./bus/auth/index.ts";
export * from "./bus/nats-server.ts";
export { HubConfig, type HubConfigInput, hubConfigFromEnv } from "./config.ts";
export { createHub, type Hub, type HubDeps } from "./hub.ts";
export {
  type AuditEntry,
  createStore,
  type OpenDatabase,
  openDatabase,
  recordAudit,
  type Store,
} from "./store/index.ts";
export { type Clock, systemClock } from "./util/clock.ts";
export { createLogger, type Logger, silentLogger } from "./util/logger.ts";
export { freePort, preferredOrFreePort } from "./util/ports.ts";
