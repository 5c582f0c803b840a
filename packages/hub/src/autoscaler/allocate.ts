import {
  breakpoints,
  type Capacity,
  type CapacityKind,
  capacityOf,
  type LatencyModel,
  type RttTable,
  rttMs,
  type ServingCluster,
  type Slot,
  slotsOf,
} from "./fleet.ts";

/**
 * Where a service's replicas go: the cheapest replica counts per cluster such that each user region's demand is
 * served only by pools within its latency SLO (RTT + predicted p95 at that pool's load). A greedy on marginal
 * dollars per request/s: each region (most constrained first) takes the cluster whose extra replicas cost least
 * per request/s it absorbs, as much as that cluster can take, then the next; a local-improvement pass then
 * consolidates pools where one larger pool needs fewer replicas than the greedy's split. Owned capacity, edge and spot win
 * where they are cheaper because they are; on-demand cloud is what is left. Then the total is raised to the
 * KPA's count, capped at max, and spot is swapped for on-demand up to the floor.
 */

export interface AllocationInput {
  /** Requests/s per user region. */
  demand: Record<string, number>;
  /** Relative weight of each user region, for replicas placed while there is no traffic (min replicas). */
  shares: Record<string, number>;
  latencySloMs: number;
  rtt: RttTable;
  clusters: readonly ServingCluster[];
  /** μ: requests/s one replica completes. */
  serviceRate: number;
  /** The count the KPA decided: at least this many are placed (pools are sized at that utilisation). */
  replicas: number;
  maxReplicas: number;
  minOnDemand: number;
  /** Cold start of a new replica where the cluster has not said: a new replica costs this long unpaid-for work. */
  coldStartSeconds: number;
}

/** One cluster's share of the plan. */
export interface Pool {
  cluster: string;
  replicas: number;
  byKind: Record<CapacityKind, number>;
  /** Requests/s of each user region this pool is planned to serve. */
  routes: Record<string, number>;
  /** SLO minus the largest RTT among the regions it serves: what the pool's own p95 must stay under. */
  budgetMs: number;
  /** Why replicas beyond the latency model's were placed here (floor, on-demand floor). */
  extra: string[];
}

export interface Allocation {
  pools: Pool[];
  /** Demand no cluster within the SLO could take, requests/s per region. */
  unserved: Record<string, number>;
  model: LatencyModel;
  /** Replicas dropped to respect maxReplicas. */
  capped: number;
}

interface Working {
  cluster: ServingCluster;
  slots: Slot[];
  replicas: number;
  rate: number;
  maxRtt: number;
  routes: Record<string, number>;
  extra: string[];
}

const EPS = 1e-9;

/** Dollars per hour of a cluster going from `from` to `to` replicas, a cold start's worth of price on new ones. */
const stepCost = (w: Working, from: number, to: number, coldStartSeconds: number): number => {
  let cost = 0;
  for (let i = from; i < to; i++) {
    const s = w.slots[i]!;
    cost += s.price * (1 + (s.running ? 0 : coldStartSeconds / 3600));
  }
  return cost;
};

const eligible = (input: AllocationInput, region: string, w: Working): number | undefined => {
  const rtt = rttMs(input.rtt, region, w.cluster.region);
  if (rtt === undefined || input.latencySloMs - rtt < 1000 / input.serviceRate) return undefined;
  return rtt;
};

interface Offer {
  w: Working;
  take: number;
  replicas: number;
  maxRtt: number;
  unitCost: number;
  rtt: number;
}

/**
 * The best bundle `w` offers a region `rtt` away: at each size where the slot price changes, and at the size
 * that takes all of `remaining`, what the pool would take and its marginal dollars per request/s; the cheapest
 * rate wins. Pricing each tier of slots apart keeps one dear slot (an on-demand replica behind cheap owned ones)
 * from riding along with a bundle that is cheap on average.
 */
const offerFrom = (input: AllocationInput, cap: Capacity, w: Working, rtt: number, remaining: number) => {
  const maxRtt = Math.max(w.maxRtt, rtt);
  const budget = input.latencySloMs - maxRtt;
  // A wider budget never hurts; a narrower one must still carry what the pool serves now.
  if (cap.rate(w.slots.length, budget) < w.rate - EPS) return undefined;
  const full = cap.needed(w.rate + remaining, budget, w.slots.length);
  const sizes = [...breakpoints(w.slots), ...(full === undefined ? [] : [full])].filter(
    (n) => n >= Math.max(w.replicas, 1),
  );
  let best: Offer | undefined;
  for (const n of sizes) {
    const room = cap.rate(n, budget) - w.rate;
    if (room <= EPS) continue;
    const take = Math.min(remaining, room);
    const replicas = Math.max(cap.needed(w.rate + take, budget, n) ?? n, w.replicas);
    const cost = stepCost(w, w.replicas, replicas, input.coldStartSeconds);
    const offer = { w, take, replicas, maxRtt, unitCost: cost / take, rtt };
    if (
      !best ||
      offer.unitCost < best.unitCost - EPS ||
      (Math.abs(offer.unitCost - best.unitCost) <= EPS && take > best.take)
    ) {
      best = offer;
    }
  }
  return best;
};

const better = (a: Offer, b: Offer | undefined): boolean =>
  !b ||
  a.unitCost < b.unitCost - EPS ||
  (Math.abs(a.unitCost - b.unitCost) <= EPS &&
    (a.rtt < b.rtt || (a.rtt === b.rtt && a.w.cluster.name < b.w.cluster.name)));

const serveDemand = (input: AllocationInput, cap: Capacity, work: Working[]): Record<string, number> => {
  const unserved: Record<string, number> = {};
  const choices = (r: string) => work.filter((w) => eligible(input, r, w) !== undefined).length;
  const regions = Object.keys(input.demand)
    .filter((r) => (input.demand[r] ?? 0) > 0)
    .sort((a, b) => choices(a) - choices(b) || (input.demand[b] ?? 0) - (input.demand[a] ?? 0) || (a < b ? -1 : 1));
  for (const r of regions) {
    let remaining = input.demand[r] ?? 0;
    while (remaining > EPS) {
      let best: Offer | undefined;
      for (const w of work) {
        const rtt = eligible(input, r, w);
        if (rtt === undefined) continue;
        const o = offerFrom(input, cap, w, rtt, remaining);
        if (o && better(o, best)) best = o;
      }
      if (!best) {
        unserved[r] = remaining;
        break;
      }
      const w = best.w;
      w.rate += best.take;
      w.routes[r] = (w.routes[r] ?? 0) + best.take;
      w.maxRtt = best.maxRtt;
      w.replicas = best.replicas;
      remaining -= best.take;
    }
  }
  return unserved;
};

/** A pool's replicas at a size: its cheapest `n` slots, with the cold-start surcharge on new ones. */
const poolCost = (input: AllocationInput, w: Working, n: number): number => stepCost(w, 0, n, input.coldStartSeconds);

/** The largest RTT among the regions a pool would serve with `routes` (its latency budget is the SLO less it). */
const maxRttOf = (input: AllocationInput, w: Working, routes: Record<string, number>): number => {
  let worst = 0;
  for (const [r, x] of Object.entries(routes)) if (x > EPS) worst = Math.max(worst, eligible(input, r, w) ?? 0);
  return worst;
};

interface Move {
  a: Working;
  b: Working;
  aRoutes: Record<string, number>;
  bRoutes: Record<string, number>;
  aReplicas: number;
  bReplicas: number;
  delta: number;
}

/** The cost change of moving `amounts` (requests/s per region) from pool `b` to pool `a`, each resized to fit. */
const priceMove = (
  input: AllocationInput,
  cap: Capacity,
  a: Working,
  b: Working,
  amounts: Record<string, number>,
): Move | undefined => {
  const aRoutes = { ...a.routes };
  const bRoutes = { ...b.routes };
  for (const [r, x] of Object.entries(amounts)) {
    if (x <= EPS) continue;
    if (eligible(input, r, a) === undefined) return undefined;
    aRoutes[r] = (aRoutes[r] ?? 0) + x;
    const left = (bRoutes[r] ?? 0) - x;
    if (left > EPS) bRoutes[r] = left;
    else delete bRoutes[r];
  }
  const rate = (routes: Record<string, number>) => Object.values(routes).reduce((s, x) => s + x, 0);
  const aReplicas = cap.needed(rate(aRoutes), input.latencySloMs - maxRttOf(input, a, aRoutes), a.slots.length);
  const bReplicas = cap.needed(rate(bRoutes), input.latencySloMs - maxRttOf(input, b, bRoutes), b.slots.length);
  if (aReplicas === undefined || bReplicas === undefined) return undefined;
  const delta =
    poolCost(input, a, aReplicas) +
    poolCost(input, b, bReplicas) -
    poolCost(input, a, a.replicas) -
    poolCost(input, b, b.replicas);
  return { a, b, aRoutes, bRoutes, aReplicas, bReplicas, delta };
};

/** Traffic of `b` that `a` may serve, largest region first, up to `amount` requests/s. */
const movable = (input: AllocationInput, a: Working, b: Working, amount: number): Record<string, number> => {
  const out: Record<string, number> = {};
  let left = amount;
  const regions = Object.entries(b.routes)
    .filter(([r, x]) => x > EPS && eligible(input, r, a) !== undefined)
    .sort(([ra, xa], [rb, xb]) => xb - xa || (ra < rb ? -1 : 1));
  for (const [r, x] of regions) {
    if (left <= EPS) break;
    const take = Math.min(x, left);
    out[r] = take;
    left -= take;
  }
  return left > EPS ? {} : out;
};

/**
 * Local improvement after the greedy: the greedy fills the pool that is cheapest per request/s *now*, which can
 * split demand over pools where one bigger pool would need fewer replicas (M/M/c pools pool: 2c replicas take more
 * than twice what c take within a budget). Repeatedly apply the best of these moves while one lowers the cost:
 * consolidate a pool's traffic into another, or move just enough traffic off a pool for it to drop k replicas.
 */
const improve = (input: AllocationInput, cap: Capacity, work: Working[]): void => {
  for (let round = 0; round < 4 * work.length * work.length + 8; round++) {
    let best: Move | undefined;
    const consider = (m: Move | undefined) => {
      if (m && m.delta < -EPS && (!best || m.delta < best.delta - EPS)) best = m;
    };
    for (const b of work) {
      if (b.replicas === 0) continue;
      for (const a of work) {
        if (a === b) continue;
        consider(priceMove(input, cap, a, b, movable(input, a, b, b.rate)));
        // Shed just enough for `b` to drop k replicas (one at a time can be stuck where several pay).
        const budget = input.latencySloMs - b.maxRtt;
        for (let k = 1; k < b.replicas; k++) {
          // A hair more than the difference, so rounding never leaves `b` just over what its smaller pool takes.
          const excess = b.rate - cap.rate(b.replicas - k, budget) + 1e-7;
          if (excess > EPS && excess < b.rate - EPS) {
            consider(priceMove(input, cap, a, b, movable(input, a, b, excess)));
          }
        }
      }
    }
    if (!best) return;
    const m: Move = best;
    for (const [w, routes, replicas] of [
      [m.a, m.aRoutes, m.aReplicas],
      [m.b, m.bRoutes, m.bReplicas],
    ] as const) {
      w.routes = routes;
      w.rate = Object.values(routes).reduce((s, x) => s + x, 0);
      w.maxRtt = maxRttOf(input, w, routes);
      w.replicas = replicas;
    }
  }
};

/** Raise the total to the KPA's count: one replica at a time, in the cheapest cluster within the SLO of the
 *  region that has the fewest replicas for its share (so min replicas sit near the users while idle). */
const raiseToFloor = (input: AllocationInput, work: Working[]): void => {
  const total = () => work.reduce((a, w) => a + w.replicas, 0);
  const weights = Object.entries(input.shares).filter(([, s]) => s > 0);
  if (weights.length === 0) weights.push(...Object.keys(input.demand).map((r): [string, number] => [r, 1]));
  // Nobody to be near: each cluster's own region stands in, so the cheapest cluster anywhere gets them.
  if (weights.length === 0) weights.push(...work.map((w): [string, number] => [w.cluster.region, 1]));
  const placedFor: Record<string, number> = {};
  while (total() < Math.min(input.replicas, input.maxReplicas)) {
    let added = false;
    const order = [...weights].sort(
      ([a, sa], [b, sb]) => ((placedFor[a] ?? 0) + 1) / sa - ((placedFor[b] ?? 0) + 1) / sb || (a < b ? -1 : 1),
    );
    for (const [region] of order) {
      let best: Working | undefined;
      let bestCost = Number.POSITIVE_INFINITY;
      for (const w of work) {
        if (w.replicas >= w.slots.length || eligible(input, region, w) === undefined) continue;
        const cost = stepCost(w, w.replicas, w.replicas + 1, input.coldStartSeconds);
        if (cost < bestCost - EPS) [best, bestCost] = [w, cost];
      }
      if (!best) continue;
      best.replicas += 1;
      best.maxRtt = Math.max(best.maxRtt, eligible(input, region, best)!);
      best.extra.push(`min replicas for ${region}`);
      placedFor[region] = (placedFor[region] ?? 0) + 1;
      added = true;
      break;
    }
    if (!added) return;
  }
};

/** Drop the dearest replicas until the total is within maxReplicas. Returns how many were dropped. */
const capAtMax = (input: AllocationInput, work: Working[]): number => {
  let dropped = 0;
  for (;;) {
    const total = work.reduce((a, w) => a + w.replicas, 0);
    if (total <= input.maxReplicas) return dropped;
    const dearest = work
      .filter((w) => w.replicas > 0)
      .reduce((a, b) => (b.slots[b.replicas - 1]!.price > a.slots[a.replicas - 1]!.price ? b : a));
    dearest.replicas -= 1;
    dropped += 1;
  }
};

const split = (w: Working): Record<CapacityKind, number> => {
  const byKind: Record<CapacityKind, number> = { owned: 0, onDemand: 0, spot: 0 };
  for (const s of w.slots.slice(0, w.replicas)) byKind[s.kind] += 1;
  return byKind;
};

/**
 * Swap spot replicas for on-demand in the same cluster, cheapest swap first, until `minOnDemand` are not spot.
 * Where no cluster can swap, add a non-spot replica in the cheapest cluster within reach of a user region, and
 * drop a spot replica that only stood for the minimum count (so a min-replica moves rather than doubles).
 */
const onDemandFloor = (input: AllocationInput, work: Working[], kinds: Map<Working, Record<CapacityKind, number>>) => {
  // The floor counts against the replicas there are now: adding one (where no swap is possible) raises it too.
  const want = () =>
    Math.min(
      input.minOnDemand,
      work.reduce((a, w) => a + w.replicas, 0),
    );
  const nonSpot = () => work.reduce((a, w) => a + kinds.get(w)!.owned + kinds.get(w)!.onDemand, 0);
  const users = [...new Set([...Object.keys(input.shares), ...Object.keys(input.demand)])];
  const reachable = (w: Working) => users.length === 0 || users.some((r) => eligible(input, r, w) !== undefined);
  const freeNonSpot = (w: Working): Slot | undefined => {
    const used = { ...kinds.get(w)! };
    return w.slots.filter((s) => s.kind !== "spot" && used[s.kind]-- <= 0).sort((a, b) => a.price - b.price)[0];
  };
  while (nonSpot() < want()) {
    let best: { w: Working; slot: Slot; delta: number; swap: boolean } | undefined;
    for (const w of work) {
      const slot = freeNonSpot(w);
      if (!slot || !reachable(w)) continue;
      const swap = kinds.get(w)!.spot > 0;
      const spotPrice = swap ? Math.max(...w.slots.filter((s) => s.kind === "spot").map((s) => s.price)) : 0;
      // A swap costs the price difference, an added replica its price: cheap owned capacity elsewhere can beat
      // swapping spot for dear on-demand.
      const delta = swap ? slot.price - spotPrice : slot.price;
      if (!best || delta < best.delta) best = { w, slot, delta, swap };
    }
    if (!best) return;
    kinds.get(best.w)![best.slot.kind] += 1;
    if (best.swap) kinds.get(best.w)!.spot -= 1;
    else {
      best.w.replicas += 1;
      const floorOnly = work.find((w) => kinds.get(w)!.spot > 0 && Object.keys(w.routes).length === 0);
      if (floorOnly) {
        kinds.get(floorOnly)!.spot -= 1;
        floorOnly.replicas -= 1;
      }
    }
    best.w.extra.push(`on-demand floor of ${input.minOnDemand}`);
  }
};

/** Plan replica counts per cluster (and what each serves) for one service. Pure: same input, same plan. */
export const allocate = (input: AllocationInput): Allocation => {
  // Below a millionth of a request/s a region is idle: such rates only make the arithmetic degenerate.
  const demand = Object.fromEntries(Object.entries(input.demand).map(([r, x]) => [r, x < 1e-6 ? 0 : x]));
  const total = Object.values(demand).reduce((a, b) => a + b, 0);
  const wanted = Math.max(1, input.replicas);
  const model: LatencyModel = {
    serviceRate: input.serviceRate,
    // At least 1 %: a panic's count spread over little traffic must not make every pool's capacity vanish.
    utilisationCeiling: total > 0 ? Math.min(1, Math.max(0.01, total / (wanted * input.serviceRate))) : 1,
  };
  const work: Working[] = [...input.clusters]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((cluster) => ({ cluster, slots: slotsOf(cluster), replicas: 0, rate: 0, maxRtt: 0, routes: {}, extra: [] }));
  const cap = capacityOf(model);
  const unserved = serveDemand({ ...input, demand }, cap, work);
  // Past maxReplicas the count binds, not the cost: capping then keeps the greedy's cheapest-first fill.
  if (work.reduce((n, w) => n + w.replicas, 0) <= input.maxReplicas) improve({ ...input, demand }, cap, work);
  raiseToFloor(input, work);
  const capped = capAtMax(input, work);
  const kinds = new Map(work.map((w) => [w, split(w)]));
  onDemandFloor(input, work, kinds);
  const pools = work
    .filter((w) => w.replicas > 0)
    .map((w) => ({
      cluster: w.cluster.name,
      replicas: w.replicas,
      byKind: kinds.get(w)!,
      routes: w.routes,
      budgetMs: input.latencySloMs - w.maxRtt,
      extra: [...new Set(w.extra)],
    }));
  return { pools, unserved, model, capped };
};
