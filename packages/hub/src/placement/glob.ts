/** A compiled list of names and globs (`eu-*`, `us-?`); matching is a Set lookup or one RegExp test, never a parse. */
export interface Matcher {
  readonly matches: (value: string) => boolean;
  /** The patterns as written, for messages. */
  readonly label: string;
}

const GLOB_CHARS = /[*?]/;

const escapeRegExp = (s: string): string => s.replace(/[.+^${}()|[\]\\]/g, "\\$&");

/** Compiles patterns once per decision so the per-cluster check stays cheap. */
export const compileMatcher = (patterns: readonly string[]): Matcher => {
  const exact = new Set<string>();
  const globs: string[] = [];
  for (const p of patterns) {
    if (GLOB_CHARS.test(p)) globs.push(escapeRegExp(p).replace(/\*/g, ".*").replace(/\?/g, "."));
    else exact.add(p);
  }
  const label = patterns.join(", ");
  if (globs.length === 0) return { matches: (v) => exact.has(v), label };
  const re = new RegExp(`^(?:${globs.join("|")})$`);
  if (exact.size === 0) return { matches: (v) => re.test(v), label };
  return { matches: (v) => exact.has(v) || re.test(v), label };
};
