import { join } from "node:path";
import type { AutoscalingStatus } from "@gantry/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GantryUp, startGantryUp } from "../support/gantry-up.ts";
import { REPO_ROOT } from "../support/processes.ts";
import { eventually } from "../support/stack.ts";

interface ServiceView {
  status: { autoscaling?: AutoscalingStatus; placements: { cluster: string; replicas: number; active: boolean }[] };
}

const serving = (a: AutoscalingStatus | undefined) => (a?.clusters ?? []).filter((c) => c.desired > 0);

/**
 * What a user sees after `gantry up` with nothing else: the shipped inference service (examples/inference/service.yaml)
 * under the shipped trace (examples/inference/trace.yaml, from 09:55 at 20×: the 5× eu-west surge comes ~15 s in and
 * lasts ~45 s) scales out across clusters, then back in, each change explained in describe, explain and metrics.
 */
describe("gantry up runs the shipped inference example", () => {
  let up: GantryUp;
  beforeAll(async () => {
    up = await startGantryUp({
      fleet: join(REPO_ROOT, "examples/fleet.yaml"),
      secondsPerHour: 60,
      name: "inference",
      withService: true,
    });
  });
  afterAll(async () => up?.stop());

  it("scales chat-inference out across clusters in the surge and back in after it, explained", async () => {
    const path = "/tenants/product/workloads/chat-inference";
    const before = await eventually(
      async () => {
        const w = await up.api<ServiceView>(path);
        return w.status.autoscaling ? w.status.autoscaling : undefined;
      },
      "the autoscaler's first status",
      90_000,
    );
    const quiet = before.desiredReplicas;

    const peak = await eventually(
      async () => {
        const a = (await up.api<ServiceView>(path)).status.autoscaling;
        return serving(a).length >= 2 && (a?.desiredReplicas ?? 0) > quiet ? a : undefined;
      },
      "a scale-out to two clusters or more",
      180_000,
    );
    expect(peak?.decisions.some((d) => d.to > d.from && d.explanation.length > 0)).toBe(true);

    const get = await up.gantry(["get", "workloads", "chat-inference", "-t", "product"]);
    expect(get.code).toBe(0);
    for (const c of serving(peak)) expect(get.stdout).toContain(c.cluster);
    const described = await up.gantry(["describe", "workload", "chat-inference", "-t", "product"]);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/Autoscaling: \d+ desired/);
    expect(described.stdout).toContain("Scaling decisions:");
    const explained = await up.gantry(["explain", "chat-inference", "-t", "product"]);
    expect(explained.stdout).toMatch(/Autoscaling: \d+ desired/);
    const metrics = await (await fetch(`${up.url}/metrics`)).text();
    expect(metrics).toMatch(/gantry_service_replicas_desired\{[^}]*workload="chat-inference"[^}]*\} [1-9]/);

    // The surge keeps climbing for a while after the first scale-out: judge the scale-in against the most seen.
    let most = peak?.desiredReplicas ?? 0;
    const after = await eventually(
      async () => {
        const a = (await up.api<ServiceView>(path)).status.autoscaling;
        most = Math.max(most, a?.desiredReplicas ?? 0);
        const scaledIn = a?.decisions.some((d) => d.to < d.from);
        return scaledIn && (a?.desiredReplicas ?? Number.POSITIVE_INFINITY) < most ? a : undefined;
      },
      "a scale-in after the surge",
      300_000,
    );
    expect(after?.decisions.find((d) => d.to < d.from)?.explanation).toBeTruthy();
  }, 600_000);
});
