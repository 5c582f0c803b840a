import { Fleet } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { clustersIn, utilisation } from "./pools.ts";

const fleet = Fleet.parse({
  clusters: [
    {
      name: "dc-fra",
      tier: "onprem",
      region: "eu-central-1",
      labels: { site: "fra" },
      nodes: [{ name: "n", count: 2, gpu: { model: "A100", count: 8, memoryGiB: 80 }, gpusUsed: 4 }],
    },
    {
      name: "aws-east",
      tier: "cloud",
      region: "us-east-1",
      nodes: [{ name: "m", gpu: { model: "H100", count: 8, memoryGiB: 80 } }],
    },
    { name: "gcp-eu", tier: "cloud", region: "europe-west4", nodes: [] },
  ],
  reservations: [{ workload: "w", cluster: "dc-fra", nodes: [{ node: "n-0", gpus: 4 }] }],
});
const sel = (over: object) => ({ tiers: [], regions: [], names: [], labels: {}, ...over });

describe("pools", () => {
  it("select clusters by tier, region glob, name glob and labels, all of them", () => {
    expect(clustersIn(fleet, sel({ tiers: ["cloud"] }))).toEqual(["aws-east", "gcp-eu"]);
    expect(clustersIn(fleet, sel({ regions: ["eu*", "europe-*"] }))).toEqual(["dc-fra", "gcp-eu"]);
    expect(clustersIn(fleet, sel({ names: ["*-east"] }))).toEqual(["aws-east"]);
    expect(clustersIn(fleet, sel({ tiers: ["onprem"], labels: { site: "ams" } }))).toEqual([]);
    expect(clustersIn(fleet, sel({}))).toHaveLength(3);
  });
  it("measure utilisation with reservations, and call a pool without GPUs full", () => {
    expect(utilisation(fleet, ["dc-fra"])).toBe(12 / 16);
    expect(utilisation(fleet, ["aws-east"])).toBe(0);
    expect(utilisation(fleet, ["gcp-eu"])).toBe(1);
  });
});
