/**
 * A fractional transportation problem solved exactly by successive shortest paths, with the capacity prices
 * (dual values) it implies. Demands (GPUs wanted by a forecast workload) go to capacities (free GPUs of a cluster
 * and model) along options with a cost per GPU, or stay unserved at a cost per GPU; the total cost is minimal.
 *
 * Why by hand: the forecast's prices are the duals of exactly this LP, min-cost flow gets them exactly in
 * milliseconds, and it keeps an LP solver out of the hub. `transport.test.ts` checks it against HiGHS.
 */

export interface TransportProblem {
  /** GPUs each demand must place (or leave unserved). */
  readonly demand: Float64Array;
  /** USD per GPU of leaving each demand's GPUs unserved. */
  readonly unservedCost: Float64Array;
  /** Free GPUs per capacity slot. */
  readonly capacity: Float64Array;
  /** Each demand's options: the slot and the USD per GPU there. */
  readonly options: readonly { readonly slot: number; readonly cost: number }[][];
}

export interface TransportSolution {
  /** Total USD of the optimal (fractional) assignment. */
  readonly cost: number;
  /** GPUs placed per demand and option, aligned with `options`. */
  readonly flow: readonly Float64Array[];
  /**
   * USD per GPU of each slot: what one GPU less there would add to the optimal cost (the cheapest way to re-route
   * one GPU out of it); 0 where capacity is left over.
   */
  readonly prices: Float64Array;
}

const EPS = 1e-9;

/**
 * Node ids: demands 0..n-1, slots n..n+m-1, the sink n+m. Every path found runs from one demand with supply left
 * to the sink: to a slot with room, or to "unserved", possibly re-routing other demands on the way (a slot's
 * reverse edges lead back to the demands that use it).
 */
export const solveTransport = (p: TransportProblem): TransportSolution => {
  const n = p.demand.length;
  const m = p.capacity.length;
  const sink = n + m;
  const flow = p.options.map((o) => new Float64Array(o.length));
  const unserved = new Float64Array(n);
  const load = new Float64Array(m);
  // Per slot, the (demand, option) pairs pointing at it: the reverse edges.
  const users: { d: number; o: number }[][] = Array.from({ length: m }, () => []);
  p.options.forEach((opts, d) => {
    opts.forEach((o, k) => {
      users[o.slot]!.push({ d, o: k });
    });
  });
  // Johnson potentials keep reduced costs non-negative so each search is a Dijkstra; all costs start >= 0.
  const potential = new Float64Array(n + m + 1);
  const dist = new Float64Array(n + m + 1);
  const done = new Uint8Array(n + m + 1);
  // How each node was reached: kind 0 demand→slot (option), 1 slot→demand (reverse), 2 slot→sink, 3 demand→sink.
  const viaNode = new Int32Array(n + m + 1);
  const viaKind = new Int8Array(n + m + 1);
  const viaOption = new Int32Array(n + m + 1);
  const left = Float64Array.from(p.demand);

  const search = (from: number): boolean => {
    dist.fill(Number.POSITIVE_INFINITY);
    done.fill(0);
    dist[from] = 0;
    for (;;) {
      // A linear scan for the closest open node: the graphs here have a few hundred nodes.
      let u = -1;
      let best = Number.POSITIVE_INFINITY;
      for (let v = 0; v <= sink; v++) {
        if (done[v] === 0 && dist[v]! < best) {
          best = dist[v]!;
          u = v;
        }
      }
      if (u < 0) return false;
      if (u === sink) return true;
      done[u] = 1;
      const relax = (v: number, cost: number, kind: number, option: number) => {
        const nd = best + cost + potential[u]! - potential[v]!;
        if (nd < dist[v]! - EPS) {
          dist[v] = nd;
          viaNode[v] = u;
          viaKind[v] = kind;
          viaOption[v] = option;
        }
      };
      if (u < n) {
        const opts = p.options[u]!;
        for (let k = 0; k < opts.length; k++) relax(n + opts[k]!.slot, opts[k]!.cost, 0, k);
        relax(sink, p.unservedCost[u]!, 3, -1);
      } else {
        const s = u - n;
        if (p.capacity[s]! - load[s]! > EPS) relax(sink, 0, 2, -1);
        for (const { d, o } of users[s]!) if (flow[d]![o]! > EPS) relax(d, -p.options[d]![o]!.cost, 1, o);
      }
    }
  };

  for (let d = 0; d < n; d++) {
    while (left[d]! > EPS) {
      if (!search(d)) throw new Error("transport: no path to the sink, though unserved is always open");
      // Nodes past the sink were not settled: capping at the sink's distance keeps every reduced cost >= 0.
      const far = dist[sink]!;
      for (let v = 0; v <= sink; v++) potential[v] = potential[v]! + Math.min(dist[v]!, far);
      // Bottleneck along the path, then push.
      let amount = left[d]!;
      for (let v = sink; v !== d; v = viaNode[v]!) {
        const u = viaNode[v]!;
        if (viaKind[v] === 2) amount = Math.min(amount, p.capacity[u - n]! - load[u - n]!);
        else if (viaKind[v] === 1) amount = Math.min(amount, flow[v]![viaOption[v]!]!);
      }
      for (let v = sink; v !== d; v = viaNode[v]!) {
        const u = viaNode[v]!;
        const kind = viaKind[v];
        if (kind === 0) flow[u]![viaOption[v]!] = flow[u]![viaOption[v]!]! + amount;
        else if (kind === 1) flow[v]![viaOption[v]!] = flow[v]![viaOption[v]!]! - amount;
        else if (kind === 2) load[u - n] = load[u - n]! + amount;
        else unserved[u] = unserved[u]! + amount;
      }
      left[d] = left[d]! - amount;
    }
  }
  let cost = 0;
  p.options.forEach((opts, d) => {
    opts.forEach((o, k) => {
      cost += flow[d]![k]! * o.cost;
    });
    cost += unserved[d]! * p.unservedCost[d]!;
  });
  return { cost, flow, prices: slotPrices(p, flow, load, users) };
};

/**
 * Shortest path from each slot to the sink in the final residual graph (Bellman–Ford: reverse edges cost less than
 * nothing). A full slot's price is what re-routing one GPU out of it costs; a slot with room costs nothing.
 */
const slotPrices = (
  p: TransportProblem,
  flow: readonly Float64Array[],
  load: Float64Array,
  users: readonly { d: number; o: number }[][],
): Float64Array => {
  const n = p.demand.length;
  const m = p.capacity.length;
  const toSinkSlot = new Float64Array(m);
  const toSinkDemand = new Float64Array(n);
  for (let s = 0; s < m; s++) toSinkSlot[s] = p.capacity[s]! - load[s]! > EPS ? 0 : Number.POSITIVE_INFINITY;
  for (let d = 0; d < n; d++) toSinkDemand[d] = p.unservedCost[d]!;
  for (let round = 0; round <= n + m; round++) {
    let changed = false;
    for (let d = 0; d < n; d++) {
      const opts = p.options[d]!;
      for (let k = 0; k < opts.length; k++) {
        const via = opts[k]!.cost + toSinkSlot[opts[k]!.slot]!;
        if (via < toSinkDemand[d]! - EPS) {
          toSinkDemand[d] = via;
          changed = true;
        }
      }
    }
    for (let s = 0; s < m; s++) {
      for (const { d, o } of users[s]!) {
        if (flow[d]![o]! <= EPS) continue;
        const via = -p.options[d]![o]!.cost + toSinkDemand[d]!;
        if (via < toSinkSlot[s]! - EPS) {
          toSinkSlot[s] = via;
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  const prices = new Float64Array(m);
  for (let s = 0; s < m; s++) prices[s] = Number.isFinite(toSinkSlot[s]!) ? Math.max(0, toSinkSlot[s]!) : 0;
  return prices;
};

/**
 * What taking GPUs out of each slot costs the optimum, as a convex piecewise-linear curve: `points[s]` is
 * [0, 0, g1, usd1, g2, usd2, …], USD of the optimal cost increase when the slot has g fewer GPUs. Free GPUs cost
 * nothing; past them, each segment is the cheapest re-routing of the demand that used them (to another slot, or
 * unserved), found by shortest paths in the residual graph of the optimal flow. Up to `maxUnits` GPUs per slot.
 */
export const displacementCurves = (
  p: TransportProblem,
  solution: TransportSolution,
  maxUnits: number,
): Float64Array[] => {
  const n = p.demand.length;
  const m = p.capacity.length;
  const load = new Float64Array(m);
  p.options.forEach((opts, d) => {
    opts.forEach((o, k) => {
      load[o.slot] = load[o.slot]! + solution.flow[d]![k]!;
    });
  });
  const users: { d: number; o: number }[][] = Array.from({ length: m }, () => []);
  p.options.forEach((opts, d) => {
    opts.forEach((o, k) => {
      users[o.slot]!.push({ d, o: k });
    });
  });
  const out: Float64Array[] = [];
  const distD = new Float64Array(n);
  const distS = new Float64Array(m);
  const viaD = new Int32Array(n);
  const viaDOption = new Int32Array(n);
  const viaS = new Int32Array(m);
  const viaSOption = new Int32Array(m);
  // A ring of node ids (demands, then slots) for the queue-based search; each node is queued at most once at a time.
  const queue = new Int32Array(n + m + 1);
  const queued = new Uint8Array(n + m);
  for (let s = 0; s < m; s++) {
    const points: number[] = [0, 0];
    const spare = Math.max(0, p.capacity[s]! - load[s]!);
    const limit = Math.min(maxUnits, p.capacity[s]!);
    let g = Math.min(spare, limit);
    let usd = 0;
    if (g > EPS) points.push(g, 0);
    const flow = solution.flow.map((f) => Float64Array.from(f));
    const slotLoad = Float64Array.from(load);
    // Re-route, one cheapest path at a time, the GPUs that held slot s, until `limit` of its capacity is gone.
    while (g < limit - EPS) {
      // Shortest paths from s (queue-based Bellman–Ford: only nodes whose distance changed are relaxed again):
      // s → (reverse) demand → (option) slot with room → sink, or demand → unserved.
      distD.fill(Number.POSITIVE_INFINITY);
      distS.fill(Number.POSITIVE_INFINITY);
      distS[s] = 0;
      let bestEnd = Number.POSITIVE_INFINITY;
      let endAt = -1;
      let endKind = 0;
      let head = 0;
      let tail = 0;
      queue[tail++] = n + s;
      queued[n + s] = 1;
      while (head !== tail) {
        const v = queue[head]!;
        head = (head + 1) % queue.length;
        queued[v] = 0;
        if (v >= n) {
          const t = v - n;
          for (const { d, o } of users[t]!) {
            if (flow[d]![o]! <= EPS) continue;
            const nd = distS[t]! - p.options[d]![o]!.cost;
            if (nd < distD[d]! - EPS) {
              distD[d] = nd;
              viaD[d] = t;
              viaDOption[d] = o;
              if (queued[d] === 0) {
                queued[d] = 1;
                queue[tail] = d;
                tail = (tail + 1) % queue.length;
              }
            }
          }
        } else {
          const opts = p.options[v]!;
          for (let k = 0; k < opts.length; k++) {
            const t = opts[k]!.slot;
            if (t === s) continue;
            const nd = distD[v]! + opts[k]!.cost;
            if (nd < distS[t]! - EPS) {
              distS[t] = nd;
              viaS[t] = v;
              viaSOption[t] = k;
              if (queued[n + t] === 0) {
                queued[n + t] = 1;
                queue[tail] = n + t;
                tail = (tail + 1) % queue.length;
              }
            }
          }
        }
      }
      for (let d = 0; d < n; d++) {
        const end = distD[d]! + p.unservedCost[d]!;
        if (end < bestEnd) {
          bestEnd = end;
          endAt = d;
          endKind = 1;
        }
      }
      for (let t = 0; t < m; t++) {
        if (t === s || p.capacity[t]! - slotLoad[t]! <= EPS) continue;
        if (distS[t]! < bestEnd) {
          bestEnd = distS[t]!;
          endAt = t;
          endKind = 0;
        }
      }
      if (endAt < 0) break;
      // Walk back to s, finding the bottleneck, then push.
      let amount = limit - g;
      if (endKind === 0) amount = Math.min(amount, p.capacity[endAt]! - slotLoad[endAt]!);
      let node = endAt;
      let kind = endKind;
      for (;;) {
        if (kind === 0) {
          const d = viaS[node]!;
          node = d;
          kind = 1;
          continue;
        }
        const t = viaD[node]!;
        amount = Math.min(amount, flow[node]![viaDOption[node]!]!);
        if (t === s) break;
        node = t;
        kind = 0;
      }
      node = endAt;
      kind = endKind;
      if (kind === 0) slotLoad[node] = slotLoad[node]! + amount;
      for (;;) {
        if (kind === 0) {
          const d = viaS[node]!;
          flow[d]![viaSOption[node]!] = flow[d]![viaSOption[node]!]! + amount;
          node = d;
          kind = 1;
          continue;
        }
        const t = viaD[node]!;
        flow[node]![viaDOption[node]!] = flow[node]![viaDOption[node]!]! - amount;
        if (t === s) break;
        node = t;
        kind = 0;
      }
      // Slot s's own load is not kept up to date: s is never a path's end, so nothing reads it.
      g += amount;
      usd += amount * bestEnd;
      points.push(g, usd);
    }
    out.push(Float64Array.from(points));
  }
  return out;
};

/** The curve's USD at `g` GPUs: linear between points, the last slope beyond the last one. */
export const curveAt = (points: Float64Array, g: number): number => {
  const last = points.length - 2;
  for (let i = 2; i <= last; i += 2) {
    if (g <= points[i]! + EPS) {
      const g0 = points[i - 2]!;
      const u0 = points[i - 1]!;
      const span = points[i]! - g0;
      return span <= EPS ? points[i + 1]! : u0 + ((points[i + 1]! - u0) * (g - g0)) / span;
    }
  }
  if (last < 2) return 0;
  const slope = (points[last + 1]! - points[last - 1]!) / Math.max(EPS, points[last]! - points[last - 2]!);
  return points[last + 1]! + slope * (g - points[last]!);
};
