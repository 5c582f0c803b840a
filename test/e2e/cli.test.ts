import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { threeClusterFleet } from "../support/fleets.ts";
import { eventually, type Stack, startStack } from "../support/stack.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = join(root, "packages/hub/bin/gantry.mjs");

/** The stack's admin token, which the CLI gets as GANTRY_TOKEN; and a data dir with no admin.token in it. */
let adminToken: string | undefined;
let emptyDataDir = "";

/** Run the real `gantry` binary; resolve with its exit code and output instead of throwing. */
const gantry = async (
  args: string[],
  hub?: string,
  token = adminToken,
): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const r = await run("node", [bin, ...(hub ? ["--hub", hub] : []), ...args], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: "silent", GANTRY_TOKEN: token ?? "", GANTRY_DATA_DIR: emptyDataDir },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
};

describe("the gantry CLI against a running hub", () => {
  let stack: Stack;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gantry-cli-"));
    emptyDataDir = join(dir, "no-data");
    stack = await startStack({ database: "pglite", fleet: threeClusterFleet(), secondsPerHour: 2 });
    adminToken = stack.token;
    await stack.readyClusters(3);
  });
  afterAll(async () => stack?.close());

  // Every call starts a Node process: on a loaded 2-core machine a test of several calls needs minutes.
  it("submits an example, lists it placed, then running or done", { timeout: 600_000 }, async () => {
    const hub = stack.hub.url;
    const submitted = await gantry(["submit", "-f", "examples/train-job.yaml"], hub);
    expect(submitted.stderr).toBe("");
    expect(submitted.stdout).toMatch(/workload\/resnet-train submitted: Placed — onprem-a×2/);
    const listed = await gantry(["get", "workloads"], hub);
    expect(listed.stdout).toMatch(/^NAME\s+TENANT\s+TYPE/);
    expect(listed.stdout).toMatch(/resnet-train\s+vision\s+job\s+2×4/);
    await eventually(async () => {
      const r = await gantry(["get", "workloads", "-o", "json"], hub);
      const { items } = JSON.parse(r.stdout) as { items: { status: { phase: string } }[] };
      return items[0]?.status.phase === "Succeeded" ? true : undefined;
    }, "resnet-train to succeed");
    const explained = await gantry(["explain", "resnet-train"], hub);
    expect(explained.stdout).toMatch(/onprem-a\s+selected/);
    expect(explained.stdout).toMatch(/edge-c\s+filtered\s+.*\[no_matching_gpu\]/);
    const described = await gantry(["describe", "workload", "resnet-train"], hub);
    expect(described.stdout).toMatch(/Phase:\s+Succeeded/);
    expect((await gantry(["get", "clusters"], hub)).stdout).toMatch(/onprem-a\s+onprem\s+self\s+eu-central-1\s+ready/);
  });

  it("round-trips a burst policy and a budget through apply and get", async () => {
    const hub = stack.hub.url;
    const file = join(dir, "policy.yaml");
    const policy = {
      apiVersion: "gantry.dev/v1alpha1",
      kind: "BurstPolicy",
      metadata: { name: "gpu-burst" },
      spec: {
        pools: [
          { name: "onprem", selector: { tiers: ["onprem"] } },
          { name: "cloud-spot", selector: { tiers: ["cloud"] }, capacity: "spot" },
        ],
        burst: { afterWaitSeconds: 600 },
        caps: { maxBurstSpendPerDay: 200 },
      },
    };
    const budget = {
      apiVersion: "gantry.dev/v1alpha1",
      kind: "Budget",
      metadata: { name: "vision" },
      spec: { perDay: 50 },
    };
    await writeFile(file, `${JSON.stringify(policy)}\n---\n${JSON.stringify(budget)}\n`);
    const applied = await gantry(["apply", "-f", file], hub);
    expect(applied.stdout).toBe("burstpolicy/gpu-burst created\nbudget/vision created\n");
    const got = (parse((await gantry(["get", "policies", "-o", "yaml"], hub)).stdout) as { items: (typeof policy)[] })
      .items;
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject(policy);
    expect((await gantry(["get", "policies"], hub)).stdout).toMatch(
      /gpu-burst\s+\*\s+onprem → cloud-spot\(spot\)\s+afterWaitSeconds=600/,
    );
    expect((await gantry(["get", "budgets"], hub)).stdout).toMatch(/vision\s+\$0\.00\s+\$50\.00/);
    expect((await gantry(["delete", "policy", "gpu-burst"], hub)).stdout).toBe("policy/gpu-burst deleted\n");
  });

  it("names the bad field and changes nothing when a file is invalid", async () => {
    const hub = stack.hub.url;
    const file = join(dir, "bad.yaml");
    await writeFile(
      file,
      "apiVersion: gantry.dev/v1alpha1\nkind: BurstPolicy\nmetadata: { name: ok }\nspec:\n  pools: [{ name: onprem }, { name: cloud }]\n  caps: { maxBurstGpus: -1 }\n",
    );
    const r = await gantry(["apply", "-f", file], hub);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/spec\.burst: a policy with burst pools needs burst triggers/);
    expect(r.stderr).toMatch(/spec\.caps\.maxBurstGpus/);
    expect(JSON.parse((await gantry(["get", "policies", "-o", "json"], hub)).stdout).items).toEqual([]);
    const bad = await gantry(["submit", "-f", join(root, "examples/fleet.yaml")], hub);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/validation_failed.*\n\s+- apiVersion:/);
  });

  it("mints, lists and revokes a token, refuses it afterwards, and shows both in the audit log", {
    timeout: 600_000,
  }, async () => {
    const hub = stack.hub.url;
    const created = await gantry(
      ["token", "create", "ci-bot", "--role", "member", "--tenant", "vision", "-o", "json"],
      hub,
    );
    expect(created.stderr).toBe("");
    const t = JSON.parse(created.stdout) as { id: string; token: string };
    expect(t.token).toMatch(/^gtk_/);
    expect((await gantry(["get", "clusters"], hub, t.token)).code).toBe(0);
    const listed = await gantry(["token", "list"], hub);
    expect(listed.stdout).toMatch(new RegExp(`${t.id}\\s+ci-bot\\s+member\\s+vision\\s+gtk_`));
    expect(listed.stdout).not.toContain(t.token);

    expect((await gantry(["token", "revoke", t.id], hub)).stdout).toBe(`token/${t.id} revoked\n`);
    const refused = await gantry(["get", "clusters"], hub, t.token);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/unauthenticated: the token is unknown or has been revoked/);
    expect(refused.stderr).toMatch(/refused the token from GANTRY_TOKEN/);

    const audit = JSON.parse((await gantry(["audit", "--action", "tokens:write", "-o", "json"], hub)).stdout) as {
      items: { subject: string; outcome: string; detail: { operation: string } }[];
    };
    expect(audit.items.map((r) => [r.subject, r.outcome, r.detail.operation])).toEqual([
      ["token:e2e-admin", "success", "revoke"],
      ["token:e2e-admin", "success", "create"],
    ]);
    expect((await gantry(["audit"], hub, t.token)).code).toBe(5);
  });

  it("says how to get a token when it has none", async () => {
    const r = await gantry(["get", "clusters"], stack.hub.url, "");
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/unauthenticated: send Authorization: Bearer/);
    expect(r.stderr).toMatch(/--token or GANTRY_TOKEN/);
  });

  it("ends quietly, exit 0, when the reader closes the pipe early (gantry … | head)", async () => {
    // A plan over 3,000 clusters prints about a megabyte: far more than a pipe holds, so the writes meet a closed pipe.
    const fleet = {
      clusters: Array.from({ length: 3_000 }, (_, i) => ({
        name: `c-${i}`,
        tier: "cloud",
        provider: "p",
        region: "us-west-2",
        pricing: { gpuHour: { A100: 2 }, egressPerGB: 0 },
        nodes: [{ name: "n", count: 1, gpu: { model: "A100", count: 8, memoryGiB: 80 }, cpu: 96, memoryGiB: 1024 }],
      })),
      datasets: [],
    };
    const job = {
      apiVersion: "gantry.dev/v1alpha1",
      kind: "Workload",
      metadata: { name: "piped", tenant: "t" },
      spec: {
        type: "job",
        replicas: 1,
        resources: { gpu: { count: 1, models: ["A100"] }, cpu: 1, memoryGiB: 1 },
        template: {
          apiVersion: "batch/v1",
          kind: "Job",
          metadata: { name: "piped" },
          spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox" }] } } },
        },
      },
    };
    const fleetFile = join(dir, "big-fleet.json");
    const jobFile = join(dir, "piped.json");
    await writeFile(fleetFile, JSON.stringify(fleet));
    await writeFile(jobFile, JSON.stringify(job));
    const r = await run(
      "bash",
      [
        "-c",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash script; ${PIPESTATUS[0]} is the node process's exit status
        'node "$0" plan --fleet "$1" --workload "$2" -o yaml | head -c 100 >/dev/null; echo "${PIPESTATUS[0]}"',
        bin,
        fleetFile,
        jobFile,
      ],
      { cwd: root, env: { ...process.env, LOG_LEVEL: "silent" } },
    );
    expect(r.stdout.trim()).toBe("0");
    // No stack trace (the bin may note on stderr that it runs the sources when dist/ is older than them).
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
  });

  it("plans offline with no servers", async () => {
    const r = await gantry([
      "plan",
      "--fleet",
      "examples/fleet.yaml",
      "--workload",
      "examples/llm-pretrain.yaml",
      "-o",
      "json",
    ]);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as { feasible: boolean; assignments: { cluster: string }[]; clusters: unknown[] };
    expect(d.feasible).toBe(true);
    expect(d.assignments.map((a) => a.cluster)).toEqual(["aws-us-east-1"]);
    expect(d.clusters).toHaveLength(4);
  });
});
