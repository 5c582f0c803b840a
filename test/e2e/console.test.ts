import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../support/browser.ts";
import { freePort } from "../support/ports.ts";
import { type ManagedProcess, REPO_ROOT, spawnProcess } from "../support/processes.ts";

/** Wait for the page to show something: generous, as a loaded CI machine makes every request slow. */
const poll = <T>(probe: () => T | Promise<T>) => expect.poll(probe, { timeout: 60_000, interval: 200 });

/** Screenshots of each view, kept as the run's artifacts. */
const ARTIFACTS = join(REPO_ROOT, ".gantry/artifacts/console");
const BIN = join(REPO_ROOT, "packages/hub/bin/gantry.mjs");

/** A long job (200 simulated hours) of two one-GPU replicas. */
const workload = (name: string, tenant: string, model: string, extra: string) => `apiVersion: gantry.dev/v1alpha1
kind: Workload
metadata: { name: ${name}, tenant: ${tenant} }
spec:
  type: job
  replicas: 2
  durationHours: 200
  resources: { gpu: { count: 1, models: [${model}] }, cpu: 1, memoryGiB: 4 }
  ${extra}
`;

describe("the operator's console in Chromium against a live `gantry up`", () => {
  let up: ManagedProcess;
  let browser: Browser;
  let page: Page;
  let hub = "";
  let dashboardUrl = "";
  let token = "";

  const api = async (method: string, path: string, body?: string, type = "application/yaml") => {
    const r = await fetch(`${hub}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": type } : {}) },
      ...(body ? { body } : {}),
    });
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return r.status === 204 ? undefined : ((await r.json()) as Record<string, unknown>);
  };
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    const dir = await mkdtemp(join(tmpdir(), "gantry-console-"));
    const port = await freePort();
    up = await spawnProcess({
      name: "gantry-up",
      command: process.execPath,
      args: [
        BIN,
        "up",
        "--port",
        String(port),
        "--data-dir",
        join(dir, "data"),
        // One simulated hour a minute: the job runs and bills within the test, and the hub's work day (which the
        // spend panes count in) does not roll over while the test looks at it.
        "--seconds-per-hour",
        "60",
        "--no-service",
      ],
      // Its own NATS and embedded database, whatever the environment points at.
      env: { LOG_LEVEL: "warn", NATS_URL: "", DATABASE_URL: "", PORT: "", GANTRY_DATA_DIR: "" },
      logFile: join(dir, "gantry-up.log"),
      ready: (p) => p.waitForOutput(/Gantry is up\./, 90_000).then(() => undefined),
    });
    dashboardUrl = /dashboard\s+(\S+)/.exec(up.output)?.[1] ?? "";
    hub = new URL(dashboardUrl).origin;
    token = (await readFile(join(dir, "data", "admin.token"), "utf8")).trim();
    // An operator's policy and budgets, as `gantry apply -f examples/burst/policy.yaml` would store them.
    const docs = (await readFile(join(REPO_ROOT, "examples/burst/policy.yaml"), "utf8")).split(/^---$/m);
    await api("PUT", "/policies/gpu-burst", docs[0]);
    await api("PUT", "/budgets/vision", docs[1]);
    await api("PUT", "/budgets/research", docs[2]);
    await api("POST", "/workloads", await readFile(join(REPO_ROOT, "examples/train-job.yaml"), "utf8"));
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1600, height: 1200 } })).newPage();
    page.setDefaultTimeout(60_000);
  });

  afterAll(async () => {
    await browser?.close();
    await up?.stop();
  });

  it("asks for a token, then shows the fleet with GPUs by model and health", async () => {
    await page.goto(`${hub}/`);
    await page.getByTestId("sign-in").waitFor();
    // A wrong token is refused with the hub's reason, and the form stays.
    await page.fill("#token", "gtk_not-a-real-token");
    await page.click("#sign-in button[type=submit]");
    await poll(() => page.locator("#sign-in-error").textContent()).toMatch(/refused the token/);
    await page.fill("#token", token);
    await page.click("#sign-in button[type=submit]");
    await page.getByTestId("sign-in").waitFor({ state: "hidden" });
    const fleet = page.getByTestId("fleet");
    await fleet.locator("[data-cluster=onprem-dc1]").waitFor();
    // Every cluster of examples/fleet.yaml, with its agent's heartbeat and capacity by model.
    for (const name of ["onprem-dc1", "aws-us-east-1", "gcp-europe-west4", "edge-paris"]) {
      const row = fleet.locator(`[data-cluster=${name}]`);
      await poll(() => row.textContent()).toMatch(/ready.*ago/);
    }
    await poll(() => fleet.locator("[data-cluster=edge-paris]").textContent()).toMatch(
      /L4 24 GiB: \d free \/ 3.*T4 16 GiB: \d free \/ 2/,
    );
    expect(await fleet.locator("[data-cluster=aws-us-east-1]").textContent()).toContain("H100 80 GiB");
    // The token lives in the tab's sessionStorage, never in the address bar.
    expect(page.url()).not.toContain(token);
    await shot("fleet");
  });

  it("lists the workload with its phase and cost, and explains it in dollars on a click", async () => {
    const row = page.getByTestId("workloads").locator("[data-workload=resnet-train]");
    await poll(() => row.textContent()).toMatch(/vision.*(Placed|Staging|Running|Succeeded)/);
    await row.locator("[data-explain=resnet-train]").click();
    const pane = page.getByTestId("explain");
    await pane.locator("[data-explained='vision/resnet-train']").waitFor();
    const explained = (await api("GET", "/tenants/vision/workloads/resnet-train/explain")) as {
      decision: { estimatedCost: { total: number }; clusters: { cluster: string; verdict: string }[] };
    };
    const selected = explained.decision.clusters.find((c) => c.verdict === "selected")!.cluster;
    const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
    expect(await pane.textContent()).toContain(`${money.format(explained.decision.estimatedCost.total)} for the run`);
    const chosen = pane.locator(`tr[data-cluster=${selected}]`);
    expect(await chosen.textContent()).toMatch(/^.*selected.*\$\d+\.\d\d/);
    // A filtered cluster says why, with the engine's reason code.
    expect(await pane.locator("tr[data-cluster=edge-paris]").textContent()).toMatch(/filtered.*\[\w+\]/);
    await poll(() => pane.textContent()).toMatch(/Events.*placed/i);
    await shot("explain");
  });

  it("shows a workload submitted elsewhere without a reload, and the queue says why it waits", async () => {
    // Edge-only, but the burst policy applies to every tenant and its first pool is on-prem: it waits, and says so.
    await api("POST", "/workloads", workload("edge-batch", "research", "T4", "placement: { tiers: [edge] }"));
    await page.getByTestId("workloads").locator("[data-workload=edge-batch]").waitFor();
    const queued = page.getByTestId("queue").locator("[data-workload=edge-batch]");
    await poll(() => queued.textContent()).toMatch(
      /research\s*2.*waiting for onprem.*policy gpu-burst allows cloud-spot after 600 s/,
    );
    await shot("queue");
  });

  it("submits a workload from the console and shows it placed with its hourly rate", async () => {
    await page.click("#submit-box summary");
    await page.fill("#manifest", workload("console-job", "research", "A100", ""));
    await page.click("#submit button[type=submit]");
    await poll(() => page.locator("#submit-result").textContent()).toContain("research/console-job accepted");
    const row = page.getByTestId("workloads").locator("[data-workload=console-job]");
    await poll(() => row.textContent()).toMatch(/research.*(Placed|Running).*\$\d+\.\d\d\/h/);
    // Submitting selects it: its explanation opens.
    await page.getByTestId("explain").locator("[data-explained='research/console-job']").waitFor();
  });

  it("shows spend per tenant and cluster, budgets against their limits, and the burst policy's pools", async () => {
    const spend = page.getByTestId("spend");
    await poll(() => spend.textContent()).toMatch(/By tenant, today.*vision/);
    expect(await spend.textContent()).toMatch(/By cluster, this month — \$\d+\.\d\d/);
    const budget = page.getByTestId("budgets").locator("[data-tenant=vision]");
    expect(await budget.textContent()).toMatch(/of \$500\.00.*of \$10,000\.00.*2/);
    const policy = page.getByTestId("policies").locator("[data-policy=gpu-burst]");
    const pools = await policy.locator("[data-pool]").evaluateAll((els) => els.map((e) => e.getAttribute("data-pool")));
    expect(pools).toEqual(["onprem", "cloud-spot", "cloud-on-demand"]);
    expect(await policy.locator("[data-pool=onprem]").textContent()).toContain("onprem-dc1");
    expect(await policy.textContent()).toMatch(/after waiting 10 min.*\$40\.00\/h.*\$200\.00\/day/);
    // Seven days of spend, today's last, with what the ledger holds for today.
    const days = page.getByTestId("spend-history").locator("[data-day]");
    await poll(() => days.count()).toBe(7);
    // Days are the hub's work days (simulated under --seconds-per-hour): today is the work clock's date.
    const health = (await (await fetch(`${hub}/healthz`)).json()) as { workClock?: { now: string } };
    const today = (health.workClock?.now ?? new Date().toISOString()).slice(0, 10);
    expect(await days.last().getAttribute("data-day")).toBe(today);
    // The history is re-read every few rounds: wait for the round after the first accrual.
    await poll(() => days.last().getAttribute("title")).toMatch(/vision \$\d+\.\d\d/);
    // The operator's audit log: the policy this test applied, by the admin token, allowed.
    await poll(() => page.getByTestId("audit").textContent()).toMatch(
      /token:bootstrap-admin.*policies:write.*policies\/gpu-burst.*success/,
    );
    await shot("spend-budgets-policies");
  });

  it("signs in from the URL gantry up prints and drops the token from the address bar", async () => {
    const other = await browser.newPage();
    try {
      expect(dashboardUrl).toBe(`${hub}/#token=${token}`);
      await other.goto(dashboardUrl);
      await other.getByTestId("fleet").locator("[data-cluster=onprem-dc1]").waitFor();
      expect(other.url()).toBe(`${hub}/`);
    } finally {
      await other.close();
    }
  });

  it("serves per-cluster capacity, health, spend and phase series on /metrics, clean under promtool", async () => {
    const text = await (await fetch(`${hub}/metrics`)).text();
    expect(text).toMatch(/^gantry_cluster_gpus\{cluster="onprem-dc1",model="H100"\} 16$/m);
    expect(text).toMatch(/^gantry_cluster_gpus_free\{cluster="edge-paris",model="T4"\} \d$/m);
    expect(text).toMatch(/^gantry_cluster_health\{cluster="aws-us-east-1",state="ready"\} 1$/m);
    expect(text).toMatch(/^gantry_cluster_heartbeat_age_seconds\{cluster="gcp-europe-west4"\} \d/m);
    expect(text).toMatch(
      /^gantry_spend_usd_total\{tenant="vision",cluster="onprem-dc1",pool="onprem",kind="compute"\} \d/m,
    );
    expect(text).toMatch(/^gantry_workloads\{phase="Pending"\} 1$/m);
    const lint = await new Promise<string>((resolve, reject) => {
      const child = execFile("promtool", ["check", "metrics"], (error, stdout, stderr) => {
        if (error && (error as NodeJS.ErrnoException).code === "ENOENT")
          reject(new Error("promtool is not installed: run scripts/bootstrap.sh"));
        else resolve(`${stdout}${stderr}`.trim());
      });
      child.stdin?.end(text);
    });
    expect(lint).toBe("");
  });

  it("says since when the hub is unreachable once it stops", async () => {
    await up.stop();
    const banner = page.getByTestId("banner");
    await banner.waitFor({ state: "visible" });
    expect(await banner.textContent()).toMatch(/^Hub unreachable since \d\d:\d\d:\d\d/);
    // What was last seen stays on screen under the banner.
    expect(await page.getByTestId("fleet").locator("[data-cluster=onprem-dc1]").isVisible()).toBe(true);
    await shot("unreachable");
  });
});
