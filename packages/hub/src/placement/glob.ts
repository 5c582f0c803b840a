/** A compiled list of names and globs (`eu-*`, `us-?`); matching is a Set lookup, a prefix test or one RegExp. */
export interface Matcher {
  readonly matches: (value: string) => boolean;
  /** The patterns as written, for messages. */
  readonly label: string;
}

const GLOB_CHARS = /[*?]/;

const escapeRegExp = (s: string): string => s.replace(/[.+^${}()|[\]\\]/g, "\\$&");

/** `eu-*` → "eu-"; undefined when the glob is anything but a literal prefix followed by one trailing `*`. */
const prefixOf = (glob: string): string | undefined => {
  const head = glob.slice(0, -1);
  return glob.endsWith("*") && !GLOB_CHARS.test(head) ? head : undefined;
};

/** Compiles patterns once per decision so the per-cluster check stays cheap. */
export const compileMatcher = (patterns: readonly string[]): Matcher => {
  const label = patterns.join(", ");
  const exact = new Set(patterns.filter((p) => !GLOB_CHARS.test(p)));
  const globs = patterns.filter((p) => GLOB_CHARS.test(p));
  if (globs.length === 0) return { matches: (v) => exact.has(v), label };
  const prefixes = globs.map(prefixOf);
  // `eu-*` is by far the common glob: a prefix test is several times cheaper than a RegExp on the hot path.
  if (prefixes.every((p) => p !== undefined)) {
    const only = prefixes.length === 1 && exact.size === 0 ? prefixes[0] : undefined;
    if (only !== undefined) return { matches: (v) => v.startsWith(only), label };
    return { matches: (v) => exact.has(v) || prefixes.some((p) => v.startsWith(p)), label };
  }
  const re = new RegExp(
    `^(?:${globs.map((g) => escapeRegExp(g).replace(/\*/g, ".*").replace(/\?/g, ".")).join("|")})$`,
  );
  return { matches: (v) => exact.has(v) || re.test(v), label };
};
