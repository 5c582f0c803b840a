import type { Assignment, RankCost } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import {
  aggregateRejections,
  infeasibleSummary,
  marginOf,
  marginSentence,
  placedSummary,
  rankSentence,
} from "./explain.ts";
import type { Candidate, Rejection } from "./framework.ts";

const MINUS = "\u2212";

const rejection = (summary: string, message = summary): Rejection => ({
  code: "insufficient_gpu",
  message,
  plugin: "gpu-fit",
  summary,
});

const rankOf = (terms: Partial<RankCost>): RankCost => {
  const r = { compute: 0, egress: 0, staging: 0, spotRisk: 0, headroom: 0, preference: 0, ...terms };
  return { ...r, total: r.compute + r.egress + r.staging + r.spotRisk + r.headroom + r.preference };
};

/** Just what the margin reads of a candidate. */
const candidate = (name: string, rank: RankCost, strandedGpus = 0): Candidate =>
  ({ name, rank, rankCents: Math.round(rank.total * 100), strandedGpus }) as Candidate;

describe("aggregateRejections", () => {
  it("counts clusters per reason, most common first, and shows a reason seen once with its own numbers", () => {
    const text = aggregateRejections([
      rejection("needs 8 free H100 on one node", "needs 8 free H100 on one node; largest free block is 4"),
      rejection("not in pool burst"),
      rejection("needs 8 free H100 on one node", "needs 8 free H100 on one node; largest free block is 2"),
      rejection("needs 8 free H100 on one node", "needs 8 free H100 on one node; largest free block is 6"),
    ]);
    expect(text).toBe("3 needs 8 free H100 on one node, 1 not in pool burst");
  });
  it("orders reasons seen equally often by their phrase", () => {
    const text = aggregateRejections(["b", "a", "b", "a", "c"].map((s) => rejection(`reason ${s}`)));
    expect(text).toBe("2 reason a, 2 reason b, 1 reason c");
  });
  it("lists at most six reasons and counts the clusters of the rest", () => {
    // Seven reasons seen twice (a..g) and one seen once (h): a..f are shown, g and h are 2 + 1 = 3 clusters.
    const summaries = [..."abcdefg"].flatMap((s) => [s, s]).concat(["h"]);
    const text = aggregateRejections(summaries.map((s) => rejection(`r-${s}`)));
    expect(text).toBe("2 r-a, 2 r-b, 2 r-c, 2 r-d, 2 r-e, 2 r-f, 3 for other reasons");
  });
  it("says nothing more when six reasons or fewer cover every cluster", () => {
    const text = aggregateRejections([..."abcdef"].map((s) => rejection(`r-${s}`)));
    expect(text).toBe("1 r-a, 1 r-b, 1 r-c, 1 r-d, 1 r-e, 1 r-f");
    expect(aggregateRejections([])).toBe("");
  });
});

describe("infeasibleSummary", () => {
  it("leads with the capacity note and adds how many clusters the filters took out, and why", () => {
    expect(
      infeasibleSummary("train", 3, [rejection("tier edge is not in the allowed tiers (cloud)")], "only 3 of 4 fit"),
    ).toBe(
      "train does not fit: only 3 of 4 fit; 1/3 clusters filtered: 1 tier edge is not in the allowed tiers (cloud)",
    );
    expect(infeasibleSummary("train", 2, [], "only 3 of 4 fit")).toBe("train does not fit: only 3 of 4 fit");
  });
  it("counts the clusters that can run it against the fleet, or says the fleet is empty", () => {
    expect(infeasibleSummary("train", 2, [rejection("x"), rejection("x")])).toBe("0/2 clusters can run train: 2 x");
    expect(infeasibleSummary("train", 0, [])).toBe("0/0 clusters can run train: the fleet is empty");
  });
});

describe("rankSentence", () => {
  it("shows the total, compute always, and every other term that is not zero, in the listed order", () => {
    expect(rankSentence(rankOf({ egress: 1.25, spotRisk: 4.25, preference: 2 }))).toBe(
      "ranked $7.50 = compute $0.00 + egress $1.25 + spot risk $4.25 + preference $2.00",
    );
    expect(rankSentence(rankOf({ compute: 8, staging: 0.5, headroom: 3.14 }))).toBe(
      "ranked $11.64 = compute $8.00 + staging $0.50 + headroom $3.14",
    );
  });
});

describe("marginOf and marginSentence", () => {
  it("gives the difference term by term, chosen minus runner-up, and the term that favoured the chosen most", () => {
    // The doc's example: chosen $11.80 (compute 10, egress 0.90, staging 0.90) against far-west at $50 of compute.
    const chosen = candidate("near", rankOf({ compute: 10, egress: 0.9, staging: 0.9 }));
    const farWest = candidate("far-west", rankOf({ compute: 50 }));
    const m = marginOf(chosen, farWest);
    expect(m).toEqual({
      runnerUp: "far-west",
      usd: 38.2,
      terms: { compute: -40, egress: 0.9, staging: 0.9, spotRisk: 0, headroom: 0, preference: 0 },
      decidedBy: "compute",
    });
    // Biggest difference first; egress and staging are as big, so they keep the listed order.
    expect(marginSentence(m, chosen, farWest)).toBe(
      `$38.20 cheaper than far-west, decided by compute: compute ${MINUS}$40.00, egress +$0.90, staging +$0.90`,
    );
  });
  it("names every term that differs, each to the cent", () => {
    // Chosen is dearer on compute (+$1.10) but saves $3.05 of spot risk, $0.02 headroom, $0.33 preference and
    // $0.01 egress; staging is +$0.07: total 3.05 + 0.02 + 0.33 + 0.01 − 1.10 − 0.07 = $2.24 cheaper.
    const chosen = candidate("a", rankOf({ compute: 5.1, egress: 0.2, staging: 0.07, headroom: 0.01, preference: 0 }));
    const other = candidate(
      "b",
      rankOf({ compute: 4, egress: 0.21, staging: 0, spotRisk: 3.05, headroom: 0.03, preference: 0.33 }),
    );
    const m = marginOf(chosen, other);
    expect(m.usd).toBe(2.24);
    expect(m.terms).toEqual({
      compute: 1.1,
      egress: -0.01,
      staging: 0.07,
      spotRisk: -3.05,
      headroom: -0.02,
      preference: -0.33,
    });
    expect(m.decidedBy).toBe("spotRisk");
    expect(marginSentence(m, chosen, other)).toBe(
      `$2.24 cheaper than b, decided by spot risk: spot risk ${MINUS}$3.05, compute +$1.10, preference ${MINUS}$0.33, ` +
        `staging +$0.07, headroom ${MINUS}$0.02, egress ${MINUS}$0.01`,
    );
  });
  it("names as decisive the first of equally large savings, the one its sentence lists first", () => {
    // Egress and staging each save $1.00; compute costs $0.50 more: $1.50 cheaper.
    const chosen = candidate("a", rankOf({ compute: 3.5 }));
    const other = candidate("b", rankOf({ compute: 3, egress: 1, staging: 1 }));
    const m = marginOf(chosen, other);
    expect(m).toMatchObject({ usd: 1.5, decidedBy: "egress" });
    expect(marginSentence(m, chosen, other)).toBe(
      `$1.50 cheaper than b, decided by egress: egress ${MINUS}$1.00, staging ${MINUS}$1.00, compute +$0.50`,
    );
  });
  it("on an exact tie says which tie-break decided: best fit when the strands differ, else the name", () => {
    const chosen = candidate("a", rankOf({ compute: 2 }), 0);
    const byFit = marginOf(chosen, candidate("b", rankOf({ compute: 2 }), 4));
    expect(byFit).toMatchObject({ usd: 0, decidedBy: "best_fit" });
    expect(marginSentence(byFit, chosen, candidate("b", rankOf({ compute: 2 }), 4))).toBe(
      "tied with b at $2.00; chosen by best fit (strands 0 GPUs, b would strand 4)",
    );
    // Equal totals made of different terms are still a tie.
    const other = candidate("b", rankOf({ compute: 1.5, egress: 0.5 }), 0);
    const byName = marginOf(chosen, other);
    expect(byName).toMatchObject({ usd: 0, decidedBy: "name", terms: { compute: 0.5, egress: -0.5 } });
    expect(marginSentence(byName, chosen, other)).toBe("tied with b at $2.00; chosen by name");
  });
});

describe("placedSummary", () => {
  const a: Assignment = { cluster: "a", replicas: 4, spot: false, nodes: [], pricePerGpuHour: 1, gpuModel: "H100" };
  const b: Assignment = { cluster: "b", replicas: 2, spot: true, nodes: [], pricePerGpuHour: 0.5, gpuModel: "H100" };

  it("names where each replica goes, the rank value, the bill, the comparison and how many clusters were feasible", () => {
    // a: 4 × 8 × $1 = $32, b: 2 × 8 × $0.50 = $8; $0.50 of egress; $1 of headroom on top in the rank value.
    const text = placedSummary(
      "train",
      [a, b],
      8,
      { total: 40.5, perHour: 40, compute: 40, egress: 0.5 },
      rankOf({ compute: 40, egress: 0.5, headroom: 1 }),
      "no single cluster takes all 6 replicas",
      3,
      4,
    );
    expect(text).toBe(
      "train split → a (4 × 8 H100 on-demand at $1.00/GPU-h) + b (2 × 8 H100 spot at $0.50/GPU-h); " +
        "ranked $41.50 = compute $40.00 + egress $0.50 + headroom $1.00; bills est. $40.50 ($40.00 compute + $0.50 egress); " +
        "no single cluster takes all 6 replicas; 3/4 clusters feasible",
    );
  });
  it("says no GPU for a GPU-less workload and does not call one assignment a split", () => {
    const cpu: Assignment = { cluster: "c", replicas: 2, spot: false, nodes: [], pricePerGpuHour: 0 };
    const text = placedSummary("etl", [cpu], 0, { total: 0, perHour: 0, compute: 0, egress: 0 }, rankOf({}), "x", 1, 1);
    expect(text.startsWith("etl → c (2 × no GPU); ranked $0.00 = compute $0.00; bills est. $0.00")).toBe(true);
  });
});
