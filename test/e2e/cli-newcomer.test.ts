import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { threeClusterFleet } from "../support/fleets.ts";
import { freePort } from "../support/ports.ts";
import { type Stack, startStack } from "../support/stack.ts";

/**
 * A newcomer with kubectl habits, scripted: every verb of the CLI, run as the real `gantry` binary against a running
 * hub (NATS with JWT auth, simulated agents), with the documented exit codes. Each call starts a Node process, which
 * on a loaded 2-core machine takes seconds: the tests have long timeouts and wait for conditions, never for times.
 */

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = join(root, "packages/hub/bin/gantry.mjs");
const SLOW = { timeout: 900_000 };

let hub = "";
let adminToken = "";
let emptyDataDir = "";

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `gantry` against the stack's hub (or `opts.hub`); resolves with the exit code instead of throwing. */
const gantry = async (args: string[], opts: { hub?: string; token?: string } = {}): Promise<Result> => {
  const env = {
    ...process.env,
    LOG_LEVEL: "silent",
    GANTRY_HUB: opts.hub ?? hub,
    GANTRY_TOKEN: opts.token ?? adminToken,
    GANTRY_DATA_DIR: emptyDataDir,
  };
  try {
    const r = await run("node", [bin, ...args], { cwd: root, env, timeout: 180_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
};

/** Start `gantry` as a long-running child (watch, follow) and wait until its output matches, then stop it. */
const until = async (args: string[], pattern: RegExp, meanwhile?: () => Promise<unknown>): Promise<string> => {
  const child: ChildProcess = spawn("node", [bin, ...args], {
    cwd: root,
    env: {
      ...process.env,
      LOG_LEVEL: "silent",
      GANTRY_HUB: hub,
      GANTRY_TOKEN: adminToken,
      GANTRY_DATA_DIR: emptyDataDir,
    },
  });
  let out = "";
  child.stdout?.on("data", (b: Buffer) => {
    out += b.toString();
  });
  child.stderr?.on("data", (b: Buffer) => {
    out += b.toString();
  });
  try {
    const deadline = Date.now() + 240_000;
    let started = false;
    while (!pattern.test(out)) {
      if (Date.now() > deadline)
        throw new Error(`gantry ${args.join(" ")} never printed ${pattern}; it printed:\n${out}`);
      if (child.exitCode !== null) throw new Error(`gantry ${args.join(" ")} exited ${child.exitCode}:\n${out}`);
      // Once the command is up (it printed something), do what it should notice.
      if (!started && meanwhile && out.length > 0) {
        started = true;
        await meanwhile();
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return out;
  } finally {
    child.kill("SIGTERM");
  }
};

const job = (name: string, over: Record<string, unknown> = {}) => ({
  apiVersion: "gantry.dev/v1alpha1",
  kind: "Workload",
  metadata: { name, tenant: "vision", labels: { team: "vision" } as Record<string, string> },
  spec: {
    type: "job",
    replicas: 2,
    // Long enough to be running through the whole session (1 simulated hour = 2 s).
    durationHours: 500,
    resources: { gpu: { count: 1, models: ["A100"] }, cpu: 1, memoryGiB: 4 },
    template: {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name },
      spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox" }] } } },
    },
    ...over,
  },
});

describe("a newcomer's session with the gantry CLI", () => {
  let stack: Stack;
  let dir: string;
  const servers: Server[] = [];
  const file = async (name: string, value: unknown) => {
    const path = join(dir, name);
    await writeFile(path, typeof value === "string" ? value : stringify(value));
    return path;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gantry-newcomer-"));
    emptyDataDir = join(dir, "no-data");
    stack = await startStack({ database: "pglite", fleet: threeClusterFleet(), secondsPerHour: 2 });
    hub = stack.hub.url;
    adminToken = stack.token;
    await stack.readyClusters(3);
  }, 300_000);
  afterAll(async () => {
    for (const s of servers) s.close();
    await stack?.close();
  });

  it("asks for versions and shell completion", SLOW, async () => {
    const [version, bash, zsh, fish, badShell] = await Promise.all([
      gantry(["version"]),
      gantry(["completion", "bash"]),
      gantry(["completion", "zsh"]),
      gantry(["completion", "fish"]),
      gantry(["completion", "tcsh"]),
    ]);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^Client: gantry \d+\.\d+\.\d+\nHub: {4}gantry \d+\.\d+\.\d+ at http/);
    expect(bash.stdout).toContain("complete -F _gantry gantry");
    expect(bash.stdout).toMatch(/'get'\) words='[^']*workloads/);
    expect(zsh.stdout).toMatch(/^#compdef gantry/);
    expect(fish.stdout).toContain("complete -c gantry -n '__fish_use_subcommand' -a 'logs'");
    expect(badShell.code).toBe(2);
  });

  it("is told plainly when the hub is not there or is not a hub", SLOW, async () => {
    const closedPort = await freePort();
    const html = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" }).end("<html>welcome to nginx</html>");
    });
    const json = createServer((_req, res) => {
      res.writeHead(404, { "content-type": "application/json" }).end('{"message":"no such thing"}');
    });
    servers.push(html, json);
    const ports = await Promise.all(
      [html, json].map(
        (s) =>
          new Promise<number>((resolve) =>
            s.listen(0, "127.0.0.1", () => resolve((s.address() as { port: number }).port)),
          ),
      ),
    );
    const [refused, page, otherJson, dns] = await Promise.all([
      gantry(["get", "workloads"], { hub: `http://127.0.0.1:${closedPort}` }),
      gantry(["get", "workloads"], { hub: `http://127.0.0.1:${ports[0]}` }),
      gantry(["version"], { hub: `http://127.0.0.1:${ports[1]}` }),
      gantry(["get", "clusters"], { hub: "http://gantry-hub.invalid:8080" }),
    ]);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(new RegExp(`connection refused by 127\\.0\\.0\\.1:${closedPort} \\(http://127`));
    expect(page.code).toBe(6);
    expect(page.stderr).toMatch(/^not a Gantry hub: .* answered 200 OK with text\/html \(not JSON\)/);
    expect(otherJson.code).toBe(6);
    expect(otherJson.stderr).toMatch(/not a Gantry hub: .* answered 404 .*not a problem\+json error/);
    expect(dns.code).toBe(6);
    expect(dns.stderr).toMatch(/DNS failure: cannot resolve gantry-hub\.invalid/);
    for (const r of [refused, page, otherJson, dns]) {
      expect(r.stderr).not.toMatch(/SyntaxError|fetch failed|\n\s+at /);
    }
  });

  it("gets usage and validation errors as exit 2, with the field named", SLOW, async () => {
    const bad = await file("bad.yaml", { ...job("broken"), spec: { ...job("broken").spec, replicas: -1 } });
    const [unknownKind, badFormat, unknownFlag, invalid, both] = await Promise.all([
      gantry(["get", "pods"]),
      gantry(["get", "workloads", "-o", "xml"]),
      gantry(["get", "workloads", "--frobnicate"]),
      gantry(["apply", "-f", bad]),
      gantry(["get", "workloads", "-A", "-t", "vision"]),
    ]);
    expect(unknownKind).toMatchObject({ code: 2 });
    expect(unknownKind.stderr).toMatch(/unknown kind "pods"; use one of workloads, clusters, policies/);
    expect(badFormat).toMatchObject({ code: 2 });
    expect(unknownFlag).toMatchObject({ code: 2 });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/spec\.replicas/);
    expect(both.code).toBe(2);
  });

  it(
    "dry-runs, applies, re-applies its own output, changes what may change, and is refused what may not",
    SLOW,
    async () => {
      const path = await file("train.yaml", job("train"));
      const dry = await gantry(["submit", "-f", path, "--dry-run"]);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(/^workload\/train \(dry run, nothing stored\): would be placed/);
      expect(dry.stdout).toMatch(/onprem-a\s+selected/);
      expect((await gantry(["get", "workloads", "-o", "name"])).stdout).toBe("\n");

      expect((await gantry(["apply", "-f", path])).stdout).toBe("workload/train created\n");
      expect((await gantry(["apply", "-f", path])).stdout).toBe("workload/train unchanged\n");

      const one = await gantry(["get", "workload", "train", "-o", "yaml"]);
      expect(parse(one.stdout)).toMatchObject({ kind: "Workload", metadata: { name: "train", tenant: "vision" } });
      const list = await gantry(["get", "workloads", "-o", "yaml"]);
      expect(parse(list.stdout)).toMatchObject({
        apiVersion: "gantry.dev/v1alpha1",
        kind: "List",
        items: [{ kind: "Workload" }],
      });
      const [reOne, reList] = await Promise.all([
        gantry(["apply", "-f", await file("one.yaml", one.stdout)]),
        gantry(["apply", "-f", await file("list.yaml", list.stdout)]),
      ]);
      expect(reOne.stdout).toBe("workload/train unchanged\n");
      expect(reList.stdout).toBe("workload/train unchanged\n");

      const relabelled = job("train");
      relabelled.metadata.labels = { team: "vision", stage: "tuning" };
      expect((await gantry(["apply", "-f", await file("relabel.yaml", relabelled)])).stdout).toBe(
        "workload/train configured\n",
      );
      expect((await gantry(["get", "workloads", "-l", "stage=tuning", "-o", "name"])).stdout).toBe("workload/train\n");
      expect((await gantry(["get", "workloads", "-l", "stage=other", "-o", "name"])).stdout).toBe("\n");

      const bigger = { ...relabelled, spec: { ...relabelled.spec, replicas: 3 } };
      const refused = await gantry(["apply", "-f", await file("bigger.yaml", bigger)]);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toMatch(
        /workload\/train: error: conflict: workload train is (Placed|Running) on onprem-a: a change to spec\.replicas cannot be applied/,
      );

      const table = await gantry(["get", "workloads", "-o", "wide"]);
      expect(table.stdout).toMatch(
        /^NAME\s+TENANT\s+TYPE\s+GPUS\s+PHASE\s+PLACEMENT\s+GEN\s+PRIORITY\s+POLICY\s+POOL\s+LABELS/,
      );
      expect(table.stdout).toMatch(/train\s+vision\s+job\s+2×1 A100/);
    },
  );

  it("reads objects that are not there as exit 3, and other tenants' as exit 5", SLOW, async () => {
    const member = await gantry(["token", "create", "newcomer", "--role", "member", "--tenant", "other", "-o", "json"]);
    const { token } = JSON.parse(member.stdout) as { token: string };
    const policy = await file("policy.yaml", {
      apiVersion: "gantry.dev/v1alpha1",
      kind: "BurstPolicy",
      metadata: { name: "burst" },
      spec: {
        pools: [
          { name: "onprem", selector: { tiers: ["onprem"] } },
          { name: "cloud", selector: { tiers: ["cloud"] } },
        ],
        burst: { afterWaitSeconds: 600 },
      },
    });
    const [missing, missingDescribe, missingDelete, noToken, forbiddenApply, forbiddenDelete] = await Promise.all([
      gantry(["get", "workload", "nope"]),
      gantry(["describe", "cluster", "nope"]),
      gantry(["delete", "policy", "nope"]),
      gantry(["get", "workloads"], { token: "" }),
      gantry(["apply", "-f", policy], { token }),
      gantry(["-t", "vision", "delete", "workload", "train"], { token }),
    ]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^error: not_found: workload "nope" does not exist \(404 not found/);
    expect(missingDescribe.code).toBe(3);
    expect(missingDelete.code).toBe(3);
    expect(noToken.code).toBe(5);
    expect(noToken.stderr).toMatch(/unauthenticated/);
    expect(forbiddenApply.code).toBe(5);
    expect(forbiddenApply.stderr).toMatch(/forbidden/);
    expect(forbiddenDelete.code).toBe(5);
    expect((await gantry(["apply", "-f", policy])).stdout).toBe("burstpolicy/burst created\n");
  });

  it("describes a workload, a cluster and a policy, with events, the decision once and no raw JSON", SLOW, async () => {
    const [workload, cluster, policy, events, explain] = await Promise.all([
      gantry(["describe", "workload", "train"]),
      gantry(["describe", "cluster", "onprem-a"]),
      gantry(["describe", "policy", "burst"]),
      gantry(["events", "train"]),
      gantry(["explain", "train"]),
    ]);
    expect(workload.code).toBe(0);
    expect(workload.stdout.match(/decision: /g)).toHaveLength(1);
    expect(workload.stdout).toMatch(/Labels:\s+team=vision, stage=tuning/);
    expect(workload.stdout).toMatch(/Events:\n\s+AGE\s+TYPE\s+REASON[\s\S]*Submitted[\s\S]*Placed[\s\S]*Updated/);
    expect(cluster.stdout).toMatch(/Tier:\s+onprem/);
    expect(cluster.stdout).toMatch(/Nodes:\n\s+a100-\d: \d+\/8 A100 GPUs free/);
    expect(policy.stdout).toMatch(/Pools \(in order\):\n\s+1\. onprem: \{ tiers: \[ onprem \] \}\n\s+2\. cloud/);
    // The member's refused attempt is there too: the audit log records denials.
    expect(policy.stdout).toMatch(
      /Events:\n.*policies:write\s+denied\s+by token:newcomer\n.*policies:write\s+success\s+by token:e2e-admin/,
    );
    expect(events.stdout).toMatch(/^AGE\s+TYPE\s+REASON\s+CLUSTER\s+MESSAGE\n.*Submitted/);
    expect(explain.stdout).toMatch(/^workload\/train: (Placed|Running)/);
    expect(explain.stdout).toMatch(/^policy: burst/m);
    for (const text of [workload.stdout, explain.stdout]) {
      expect(text).not.toMatch(/null|\{"/);
    }
  });

  it("reads a replica's logs through its cluster's agent, and follows them", SLOW, async () => {
    const logs = await gantry(["logs", "train", "--replica", "1"]);
    expect(logs.code).toBe(0);
    expect(logs.stderr).toMatch(/^# train replica 1 in onprem-a$/m);
    expect(logs.stdout).toMatch(/^\S+Z replica 1 of train (started on a100-\d|has not started)/);
    const [again, beyond] = await Promise.all([
      gantry(["logs", "train", "--replica", "1"]),
      gantry(["logs", "train", "--replica", "9"]),
    ]);
    // Deterministic: what was written stays written (a later read has at least the same first line).
    expect(again.stdout.split("\n")[0]).toBe(logs.stdout.split("\n")[0]);
    expect(beyond.code).toBe(2);
    expect(beyond.stderr).toMatch(/has 2 replica\(s\)/);
    // A short job (20 s): following its logs shows each step as the simulated clock reaches it, then its end.
    expect(
      (await gantry(["apply", "-f", await file("short.yaml", job("short", { replicas: 1, durationHours: 10 }))])).code,
    ).toBe(0);
    // Its agent may not have applied it yet when the hub has placed it: until then the agent has no such placement.
    for (let deadline = Date.now() + 120_000; (await gantry(["logs", "short"])).code !== 0; ) {
      if (Date.now() > deadline) throw new Error("the agent never served short's logs");
    }
    const followed = await until(["logs", "short", "-f"], /step 10\/10 \(100%\) done\n.*replica 0 of short completed/);
    expect(followed).toMatch(/step 1\/10 \(10%\) done\n[\s\S]*step 9\/10 \(90%\) done/);
  });

  it("watches workloads change, then deletes them", SLOW, async () => {
    const second = await file("second.yaml", job("second", { replicas: 1 }));
    const watched = await until(
      ["get", "workloads", "-w", "-o", "name"],
      /workload\/second ADDED[\s\S]*workload\/train DELETED/,
      async () => {
        expect((await gantry(["apply", "-f", second])).code).toBe(0);
        expect((await gantry(["delete", "workload", "train"])).stdout).toBe("workload/train deleted\n");
      },
    );
    // First the list as it was, then the changes as they happened.
    expect(watched).toMatch(/^workload\/short\nworkload\/train\n/);
    const [again, rest] = await Promise.all([
      gantry(["delete", "workload", "train"]),
      gantry(["delete", "workload", "second", "nope"]),
    ]);
    expect(again.code).toBe(3);
    expect(rest.stdout).toBe("workload/second deleted\n");
    expect(rest.code).toBe(3);
    expect(rest.stderr).toMatch(/workload "nope" does not exist/);
  });
});
