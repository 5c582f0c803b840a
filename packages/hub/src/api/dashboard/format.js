// One way to show money, times and ages everywhere in the console.

const dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2 });

/** USD to the cent; a non-zero amount under a cent shows as "<$0.01" rather than a misleading $0.00. */
export const usd = (value) => {
  const n = Number(value);
  if (!Number.isFinite(n)) return "–";
  if (n !== 0 && Math.abs(n) < 0.005) return n < 0 ? "−<$0.01" : "<$0.01";
  return dollars.format(n);
};

/** A signed USD difference: "+$1.20", "−$0.40". */
export const usdDelta = (value) => {
  const n = Number(value);
  if (!Number.isFinite(n)) return "–";
  if (n === 0) return "$0.00";
  return `${n > 0 ? "+" : "−"}${usd(Math.abs(n))}`;
};

const pad = (n) => String(n).padStart(2, "0");

/** Local wall-clock time, HH:MM:SS. */
export const clockTime = (date) => `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;

/** How long ago an ISO time was, as "12 s", "4 min", "3 h", "2 d"; "never" when absent. */
export const age = (iso, now = Date.now()) => {
  if (!iso) return "never";
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return "–";
  return duration(Math.max(0, (now - t) / 1000));
};

/** Seconds as "12 s", "4 min", "3 h 5 min", "2 d". */
export const duration = (seconds) => {
  const s = Math.round(seconds);
  if (s < 120) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86_400) {
    const m = Math.round((s % 3600) / 60);
    return `${Math.floor(s / 3600)} h${m ? ` ${m} min` : ""}`;
  }
  return `${Math.round(s / 86_400)} d`;
};

/** A fraction as a whole percentage. */
export const percent = (fraction) => (Number.isFinite(fraction) ? `${Math.round(fraction * 100)} %` : "–");
