import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createKubernetesDriver, type KubernetesDriver } from "../../packages/agent/src/drivers/kubernetes/index.ts";
import { type FakeApiServer, startFakeApiServer } from "./fake-apiserver.ts";
import { aGpuNode, aNamespace } from "./fixtures.ts";
import { aCluster, memoryLogger } from "./support/driver-fixtures.ts";

const LEASE_SECONDS = 2;
const RENEW_MS = 250;
const LEASES = "coordination.k8s.io/v1/leases";

let api: FakeApiServer;
const drivers: KubernetesDriver[] = [];
const children: ChildProcess[] = [];

const candidate = async (identity: string): Promise<KubernetesDriver> => {
  const d = createKubernetesDriver({
    kubeConfig: api.kubeConfig(),
    cluster: aCluster(),
    logger: memoryLogger(),
    leaderElection: {
      namespace: "gantry-system",
      identity,
      leaseDurationSeconds: LEASE_SECONDS,
      renewIntervalMs: RENEW_MS,
    },
  });
  drivers.push(d);
  await d.start();
  return d;
};

/** A candidate in its own process, resolved once it has started and reported whether it leads. */
const childCandidate = (identity: string): Promise<{ child: ChildProcess; leader: boolean }> =>
  new Promise((resolve, reject) => {
    const script = fileURLToPath(new URL("./support/leader-child.ts", import.meta.url));
    const kubeconfig = join(mkdtempSync(join(tmpdir(), "gantry-k8s-")), "kubeconfig");
    writeFileSync(kubeconfig, api.kubeconfigYaml());
    const child = spawn(process.execPath, ["--import", "tsx", script], {
      env: {
        ...process.env,
        KUBECONFIG_PATH: kubeconfig,
        IDENTITY: identity,
        LEASE_SECONDS: String(LEASE_SECONDS),
        RENEW_MS: String(RENEW_MS),
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n").find((l) => l.includes('"started"'));
      if (line) resolve({ child, leader: (JSON.parse(line) as { leader: boolean }).leader });
    });
    child.on("exit", (code) => reject(new Error(`candidate ${identity} exited with ${code}`)));
  });

beforeEach(async () => {
  api = await startFakeApiServer();
  api.store.put("v1/namespaces", aNamespace("gantry-system"));
  api.store.put("v1/nodes", aGpuNode({ name: "a100-1" }));
});

afterEach(async () => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
  for (const d of drivers.splice(0)) await d.close();
  await api.close();
});

describe("leader election over a Lease", () => {
  it("elects exactly one leader and records it in the Lease", async () => {
    const a = await candidate("agent-a");
    const b = await candidate("agent-b");
    expect(a.leadership?.isLeader()).toBe(true);
    expect(b.leadership?.isLeader()).toBe(false);
    const lease = api.store.get(LEASES, "gantry-system", "gantry-agent-leader") as
      | { spec: Record<string, unknown> }
      | undefined;
    expect(lease?.spec).toMatchObject({ holderIdentity: "agent-a", leaseDurationSeconds: LEASE_SECONDS });
    expect(String(lease?.spec.renewTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    // Renewals keep the follower out for longer than a lease duration.
    await new Promise((r) => setTimeout(r, LEASE_SECONDS * 1000 + 500));
    expect(a.leadership?.isLeader()).toBe(true);
    expect(b.leadership?.isLeader()).toBe(false);
  });

  it("hands over within a renew interval when the leader shuts down cleanly", async () => {
    const a = await candidate("agent-a");
    const b = await candidate("agent-b");
    const changes: boolean[] = [];
    b.leadership?.onChange((l) => changes.push(l));
    const closedAt = Date.now();
    await a.close();
    drivers.splice(drivers.indexOf(a), 1);
    await vi.waitFor(() => expect(b.leadership?.isLeader()).toBe(true), { timeout: 2000, interval: 20 });
    expect(Date.now() - closedAt).toBeLessThan(1000);
    expect(changes).toEqual([true]);
  });

  it("takes over within seconds after the leader process is killed", async () => {
    const first = await childCandidate("agent-a");
    expect(first.leader).toBe(true);
    const b = await candidate("agent-b");
    expect(b.leadership?.isLeader()).toBe(false);
    const killedAt = Date.now();
    first.child.kill("SIGKILL");
    await vi.waitFor(() => expect(b.leadership?.isLeader()).toBe(true), { timeout: 10_000, interval: 50 });
    const tookMs = Date.now() - killedAt;
    // Not before the lease could have expired, and not much after.
    expect(tookMs).toBeGreaterThanOrEqual(LEASE_SECONDS * 1000 - 2 * RENEW_MS);
    expect(tookMs).toBeLessThan(LEASE_SECONDS * 1000 + 4 * RENEW_MS);
    const lease = api.store.get(LEASES, "gantry-system", "gantry-agent-leader") as
      | { spec: Record<string, unknown> }
      | undefined;
    expect(lease?.spec).toMatchObject({ holderIdentity: "agent-b", leaseTransitions: 1 });
    process.stdout.write(
      `leader election: follower took over ${tookMs} ms after the leader was killed (lease ${LEASE_SECONDS} s)\n`,
    );
  });
});
