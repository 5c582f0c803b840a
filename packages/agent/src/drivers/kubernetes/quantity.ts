/**
 * Kubernetes resource quantities ("3500m", "16Gi", "1e3") as plain numbers. Only what capacity
 * reports need: CPU in cores, memory in bytes, devices as counts.
 */
const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;

/** Parse a quantity; an unparseable one counts as 0 (the API validated it, so this is only defence). */
export const parseQuantity = (value: string | undefined): number => {
  if (!value) return 0;
  const match = QUANTITY.exec(value.trim());
  if (!match) return 0;
  const n = Number(match[1]);
  const factor = SUFFIX[match[2] ?? ""] ?? 1;
  return Number.isFinite(n) ? n * factor : 0;
};

export const GIB = 2 ** 30;

/** Round to two decimals so reports stay readable and stable across tiny float differences. */
export const round2 = (n: number): number => Math.round(n * 100) / 100;
