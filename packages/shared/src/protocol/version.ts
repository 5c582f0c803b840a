/** Bumped on any incompatible change of a message; both sides reject what they do not speak. */
export const PROTOCOL_VERSION = 1 as const;
