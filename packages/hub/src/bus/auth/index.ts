export {
  type MintedUser,
  MintUserInput,
  type NatsAuthority,
  type OpenNatsAuthorityOptions,
  openNatsAuthority,
  type Revocation,
} from "./authority.ts";
export { claimsUpdateSubject } from "./claims-push.ts";
export { NatsAuthError, type NatsAuthErrorCode } from "./errors.ts";
export {
  agentPermissions,
  clusterToken,
  DEFAULT_INBOX_PREFIX,
  HUBS_SUBJECT_PREFIX,
  hubPermissions,
  isSubjectFilter,
  type UserPermissions,
} from "./permissions.ts";
export { ServerConfigOptions } from "./server-config.ts";
