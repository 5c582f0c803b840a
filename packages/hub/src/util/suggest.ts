/** Damerau–Levenshtein distance (optimal string alignment): typos, swaps, a missing or extra letter each cost 1. */
export const editDistance = (a: string, b: string): number => {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
};

/** The closest candidate within a small distance (case-insensitive), for "did you mean …?"; undefined when none is close. */
export const closest = (word: string, candidates: Iterable<string>): string | undefined => {
  let best: { c: string; d: number } | undefined;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d <= Math.max(1, Math.floor(w.length / 4)) + 1 && (!best || d < best.d)) best = { c, d };
  }
  return best?.c;
};
