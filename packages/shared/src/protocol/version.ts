/**
 * Bumped on any incompatible change of a message; both sides reject what they do not speak.
 * 2: identity from the subject, per-agent sequence numbers, leases on heartbeats, uids on placements.
 */
export const PROTOCOL_VERSION = 2 as const;
