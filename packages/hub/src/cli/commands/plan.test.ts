import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Decision, Fleet, parseDocument, parseWith, ValidationError, Workload } from "@gantry/shared";
import { afterEach, describe, expect, it } from "vitest";
import { plan } from "../../placement/index.ts";
import { planCommand } from "./plan.ts";
import { runPlan } from "./plan-run.ts";

const examples = join(import.meta.dirname, "../../../../../examples");
const read = (name: string) => readFile(join(examples, name), "utf8");

describe("plan on the example fleet", async () => {
  const fleet = parseWith(Fleet, parseDocument(await read("fleet.yaml")));
  const load = async (name: string) => parseWith(Workload, parseDocument(await read(name)));

  it("puts resnet-train on the on-prem A100s next to imagenet, cloud spot as runner-up", async () => {
    const d = plan(fleet, await load("train-job.yaml"));
    expect(d.assignments).toEqual([
      {
        cluster: "onprem-dc1",
        replicas: 2,
        spot: false,
        gpuModel: "A100",
        pricePerGpuHour: 1,
        nodes: [
          { node: "hgx-a100-0", replicas: 1 },
          { node: "hgx-a100-1", replicas: 1 },
        ],
      },
    ]);
    expect(d.estimatedCost).toEqual({ total: 4, perHour: 8, compute: 4, egress: 0 });
    expect(d.runnerUp).toBe("aws-us-east-1");
    expect(d.clusters.find((c) => c.cluster === "gcp-europe-west4")?.reasons[0]?.code).toBe("taint_not_tolerated");
  });

  it("sends llm-pretrain to aws (on-prem has 2 free H100 nodes, the gang needs 4)", async () => {
    const d = plan(fleet, await load("llm-pretrain.yaml"));
    expect(d.assignments.map((a) => [a.cluster, a.replicas, a.gpuModel, a.spot])).toEqual([
      ["aws-us-east-1", 4, "H100", false],
    ]);
    expect(d.estimatedCost.total).toBeCloseTo(4 * 8 * 6.9 * 24, 2);
    expect(d.clusters.find((c) => c.cluster === "onprem-dc1")).toMatchObject({
      verdict: "filtered",
      fitReplicas: 2,
      reasons: [{ code: "insufficient_gpu" }],
    });
  });

  it("keeps chat-inference in eu-* at the edge on L4", async () => {
    const d = plan(fleet, await load("inference-service.yaml"));
    expect(d.assignments.map((a) => [a.cluster, a.replicas, a.gpuModel])).toEqual([["edge-paris", 2, "L4"]]);
    expect(Decision.parse(d)).toEqual(d);
  });
});

describe("runPlan", async () => {
  const fleetText = await read("fleet.yaml");
  const workloadText = await read("train-job.yaml");

  it("prints the decision as JSON with verdicts, reasons and rank terms in dollars per cluster", () => {
    const out = JSON.parse(runPlan(fleetText, workloadText, "json")) as Decision;
    expect(out).toMatchObject({
      feasible: true,
      assignments: [{ cluster: "onprem-dc1", replicas: 2 }],
      estimatedCost: { total: 4, perHour: 8, compute: 4, egress: 0 },
      runnerUp: "aws-us-east-1",
    });
    expect(out.clusters).toHaveLength(4);
    expect(Object.keys(out.clusters[0]?.rankCost ?? {})).toEqual([
      "total",
      "compute",
      "egress",
      "staging",
      "spotRisk",
      "headroom",
      "preference",
    ]);
    expect(out.margin).toMatchObject({ runnerUp: "aws-us-east-1", decidedBy: "compute" });
    expect(out.summary).toMatch(/^resnet-train → onprem-dc1/);
  });

  it("prints a table by default and YAML on request", () => {
    const t = runPlan(fleetText, workloadText);
    expect(t.split("\n")[0]).toMatch(/^resnet-train → onprem-dc1/);
    expect(t).toMatch(/edge-paris\s+filtered\s+-\s+-\s+-\s+no A100\/H100 with >=40 GiB/);
    expect(runPlan(fleetText, workloadText, "yaml")).toContain("runnerUp: aws-us-east-1");
  });

  it("names each bad field", () => {
    const bad = "apiVersion: gantry.dev/v1alpha1\nkind: Workload\nmetadata: { name: x }\nspec: { type: batch }\n";
    expect(() => runPlan(fleetText, bad, "json")).toThrow(ValidationError);
    try {
      runPlan(fleetText, bad, "json");
    } catch (e) {
      expect((e as ValidationError).issues.map((i) => i.field)).toEqual(["spec.type"]);
    }
  });
});

describe("planCommand", () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  it("reads the files, prints JSON and honours --pool", async () => {
    const out: string[] = [];
    const cmd = planCommand({ out: (t) => out.push(t), err: (t) => out.push(`ERR ${t}`) });
    await cmd.parseAsync(
      [
        "--fleet",
        join(examples, "fleet.yaml"),
        "--workload",
        join(examples, "train-job.yaml"),
        "-o",
        "json",
        "--pool",
        "aws-us-east-1",
      ],
      { from: "user" },
    );
    const d = JSON.parse(out.join("\n")) as Decision;
    expect(d.assignments[0]?.cluster).toBe("aws-us-east-1");
    expect(d.clusters.find((c) => c.cluster === "onprem-dc1")?.reasons[0]).toEqual({
      code: "not_in_pool",
      message: "not in pool --pool",
    });
  });

  it("takes a tier preference only with its price in dollars", async () => {
    const run = async (...extra: string[]) => {
      const out: string[] = [];
      const cmd = planCommand({ out: (t) => out.push(t), err: (t) => out.push(`ERR ${t}`) });
      const args = ["--fleet", join(examples, "fleet.yaml"), "--workload", join(examples, "train-job.yaml")];
      await cmd.parseAsync([...args, "-o", "json", ...extra], { from: "user" });
      return JSON.parse(out.join("\n")) as Decision;
    };
    const d = await run("--tier-preference", "cloud,onprem", "--tier-premium", "0.5");
    // 8 GPUs × 0.5 h × $0.50 on onprem-dc1: $2.00 turns its $0.60 lead into a loss.
    expect(d.clusters.find((c) => c.cluster === "onprem-dc1")?.rankCost?.preference).toBe(2);
    expect(d.assignments[0]?.cluster).toBe("aws-us-east-1");
    await expect(run("--tier-preference", "cloud,onprem")).rejects.toThrow(/--tier-preference needs --tier-premium/);
    await expect(run("--tier-preference", "moon", "--tier-premium", "1")).rejects.toThrow(/unknown tier "moon"/);
  });

  it("prints the invalid fields and exits with code 2", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gantry-plan-"));
    const bad = join(dir, "bad.yaml");
    await writeFile(bad, "clusters: [{ name: Bad, tier: moon }]\n");
    const err: string[] = [];
    const cmd = planCommand({ out: () => {}, err: (t) => err.push(t) });
    await cmd.parseAsync(["--fleet", bad, "--workload", join(examples, "train-job.yaml")], { from: "user" });
    expect(process.exitCode).toBe(2);
    expect(err[0]).toBe("fleet is invalid:");
    expect(err.slice(1).map((l) => l.trim().split(":")[0])).toEqual(["clusters.0.name", "clusters.0.tier"]);
  });
});
