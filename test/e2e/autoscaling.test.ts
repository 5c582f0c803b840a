import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { AutoscalingStatus, FleetInput } from "@gantry/shared";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../support/browser.ts";
import { REPO_ROOT } from "../support/processes.ts";
import { eventually, type Stack, startStack } from "../support/stack.ts";

/**
 * The inference autoscaler end to end, on real NATS, a real hub and simulated agents playing one load trace: a
 * service runs on the cheap edge, a surge in eu-west scales it out into the cloud, and after the surge it scales
 * back in, the cloud's (dearest) replicas first, every change explained in events, status.autoscaling and the
 * dashboard (in Chromium, live over the watch).
 */
const fleet = {
  clusters: [
    {
      name: "edge-paris",
      tier: "edge",
      provider: "self",
      region: "eu-west-3",
      pricing: { gpuHour: { L4: 0.2 } },
      nodes: [{ name: "edge-l4", count: 3, gpu: { model: "L4", count: 1, memoryGiB: 24 }, cpu: 16, memoryGiB: 64 }],
    },
    {
      name: "gcp-europe-west4",
      tier: "cloud",
      provider: "gcp",
      region: "europe-west4",
      spot: true,
      pricing: { gpuHour: { L4: 0.85 }, spotGpuHour: { L4: 0.3 } },
      nodes: [{ name: "g2", count: 8, gpu: { model: "L4", count: 4, memoryGiB: 24 }, cpu: 48, memoryGiB: 192 }],
    },
  ],
  rtt: { "eu-west": { "eu-west-3": 6, "europe-west4": 11 } },
} satisfies FleetInput;

const service = {
  apiVersion: "gantry.dev/v1alpha1",
  kind: "Workload",
  metadata: { name: "chat", tenant: "product" },
  spec: {
    type: "service",
    replicas: 1,
    resources: { gpu: { count: 1, models: ["L4"] }, cpu: 4, memoryGiB: 16 },
    placement: { spot: "allowed" },
    autoscaling: {
      metric: "concurrency",
      target: 0.7,
      minReplicas: 1,
      maxReplicas: 20,
      coldStartSeconds: 2,
      stableWindowSeconds: 6,
      panicWindowSeconds: 2,
    },
    serving: { latencySloMs: 300, demand: { "eu-west": 1 }, fromMetrics: true, replicaRequestsPerSecond: 5 },
    // A Deployment Kubernetes' schema accepts (the hub checks templates against it).
    template: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "chat" },
      spec: {
        selector: { matchLabels: { app: "chat" } },
        template: {
          metadata: { labels: { app: "chat" } },
          spec: { containers: [{ name: "server", image: "ghcr.io/example/chat:2.1" }] },
        },
      },
    },
  },
};

// Trace seconds are real seconds here: 2 req/s, a surge to 30 req/s from 25 s to 70 s, then 2 req/s again.
const SURGE_FROM = 25;
const SURGE_TO = 70;
const trace = {
  kind: "points" as const,
  interpolation: "step" as const,
  points: [
    { atSeconds: 0, rps: { "eu-west": 2 } },
    { atSeconds: SURGE_FROM, rps: { "eu-west": 30 } },
    { atSeconds: SURGE_TO, rps: { "eu-west": 2 } },
  ],
};

interface View {
  status: {
    phase: string;
    autoscaling?: AutoscalingStatus;
    placements: { cluster: string; active: boolean; replicas: number; routing?: Record<string, number> }[];
  };
}
/** Wait for the page to show something: generous, as a loaded machine makes every request and render slow. */
const poll = <T>(probe: () => T | Promise<T>) => expect.poll(probe, { timeout: 60_000, interval: 250 });

interface Described {
  items: { reason: string; message: string }[];
}

describe("autoscaling (real stack)", () => {
  let stack: Stack;
  let browser: Browser | undefined;
  const startedAtMs = Date.now();
  const view = async () => (await (await stack.api("/tenants/product/workloads/chat")).json()) as View;
  const events = async () =>
    ((await (await stack.api("/tenants/product/workloads/chat/events")).json()) as Described).items;
  const replicasIn = (v: View, cluster: string) =>
    v.status.placements.filter((p) => p.active && p.cluster === cluster).reduce((n, p) => n + p.replicas, 0);

  beforeAll(async () => {
    stack = await startStack({
      database: "pglite",
      fleet,
      hub: { autoscaleIntervalMs: 1_000, rtt: fleet.rtt },
      load: { trace, startedAtMs, offsetSeconds: 0, speed: 1 },
    });
    await stack.readyClusters(2);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it("scales out across clusters under a surge and back in after it, explaining each change", async () => {
    const res = await stack.api("/workloads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(service),
    });
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    const before = await eventually(
      async () => {
        const v = await view();
        return v.status.phase === "Running" && v.status.autoscaling ? v : undefined;
      },
      "chat runs and has an autoscaling status",
      40_000,
    );
    // Before the surge the cheap edge serves it and the weights route eu-west there.
    expect(replicasIn(before, "edge-paris")).toBeGreaterThan(0);

    // The dashboard, open before the surge with the service selected, follows it over the watch.
    browser = await launchChromium();
    const page: Page = await (await browser.newContext({ viewport: { width: 1600, height: 1200 } })).newPage();
    page.setDefaultTimeout(60_000);
    await page.goto(`${stack.hub.url}/#token=${stack.token}`);
    const row = page.getByTestId("workloads").locator("[data-workload=chat]");
    await row.locator("[data-explain=chat]").click();
    const pane = page.getByTestId("explain").locator("[data-explained='product/chat']");
    await pane.locator("[data-autoscaling-status]").waitFor();

    const out = await eventually(
      async () => {
        const v = await view();
        return replicasIn(v, "gcp-europe-west4") > 0 && replicasIn(v, "edge-paris") > 0 ? v : undefined;
      },
      "the surge scales chat out into gcp beside the edge",
      (SURGE_TO - 5) * 1000 - (Date.now() - startedAtMs) + 30_000,
    );
    const status = out.status.autoscaling!;
    expect(status.clusters.map((c) => c.cluster)).toEqual(expect.arrayContaining(["edge-paris", "gcp-europe-west4"]));
    const scaledOut = status.decisions.find((d) => d.cluster === "gcp-europe-west4" && d.to > d.from);
    expect(scaledOut?.explanation).toMatch(/^\+\d+ in gcp-europe-west4 \(spot\): /);
    expect(scaledOut?.explanation).toMatch(/eu-west/);
    const routed = out.status.placements.find((p) => p.active && p.cluster === "gcp-europe-west4")?.routing;
    expect(routed?.["eu-west"] ?? 0).toBeGreaterThan(0);

    // The dashboard shows it too: ready/desired per cluster in the table, and in the explanation the replicas per
    // cluster with their kind and the scale-out's own sentence.
    await poll(() => row.locator("[data-cluster-replicas]").textContent()).toMatch(
      /^(?=.*edge-paris \d+\/[1-9])(?=.*gcp-europe-west4 \d+\/[1-9])/,
    );
    expect(await row.locator("[data-autoscaling]").textContent()).toMatch(/\d+\/\d+ ready, (stable|panic|held)/);
    // A row per cluster and kind: name, kind, then desired (non-zero in both while the surge lasts).
    await poll(() => pane.locator("[data-scaling-cluster=gcp-europe-west4]").allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^gcp-europe-west4(spot|on-demand)[1-9]/)]),
    );
    expect(await pane.locator("[data-scaling-cluster=edge-paris]").allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^edge-parisowned[1-9]/)]),
    );
    await poll(() => pane.locator("[data-scaling-decision=gcp-europe-west4]").allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining(scaledOut!.explanation)]),
    );
    expect(await pane.textContent()).toMatch(/Mode(stable|panic|held).*req\/s.*\$\d+\.\d\d\/h/);
    // The scaled-out view, kept as the run's artifact (as the console test keeps its screenshots).
    const artifacts = join(REPO_ROOT, ".gantry/artifacts/autoscaling");
    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, "scaled-out.png"), fullPage: true });

    // After the surge: the cloud's replicas go (the dearest first), the edge keeps serving.
    const back = await eventually(
      async () => {
        const v = await view();
        return Date.now() - startedAtMs > SURGE_TO * 1000 && replicasIn(v, "gcp-europe-west4") === 0 ? v : undefined;
      },
      "chat scales back in after the surge",
      SURGE_TO * 1000 - (Date.now() - startedAtMs) + 60_000,
    );
    expect(replicasIn(back, "edge-paris")).toBeGreaterThan(0);
    const scaledIn = back.status.autoscaling!.decisions.find((d) => d.cluster === "gcp-europe-west4" && d.to < d.from);
    expect(scaledIn?.explanation).toMatch(/^−\d+ in gcp-europe-west4 \(spot\): /);

    const list = await events();
    const explained = (await (await stack.api("/tenants/product/workloads/chat/explain")).json()) as {
      autoscaling?: AutoscalingStatus;
    };
    expect(explained.autoscaling?.decisions.length).toBeGreaterThan(0);
    expect(list.some((e) => e.reason === "ScaledOut" && e.message.includes("gcp-europe-west4"))).toBe(true);
    expect(list.some((e) => e.reason === "ScaledIn" && e.message.includes("gcp-europe-west4"))).toBe(true);

    const metrics = await (
      await fetch(`${stack.hub.url}/metrics`, { headers: { authorization: `Bearer ${stack.token}` } })
    ).text();
    expect(metrics).toMatch(
      /gantry_service_replicas_desired\{tenant="product",workload="chat",cluster="edge-paris"\} [1-9]/,
    );
    expect(metrics).toMatch(/gantry_scaling_decisions_total\{direction="out"\} [1-9]/);
    expect(metrics).toMatch(/gantry_scaling_decisions_total\{direction="in"\} [1-9]/);
  }, 240_000);
});
