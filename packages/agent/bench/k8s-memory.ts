/**
 * Agent memory benchmark: a fake API server holding 5,000 GPU nodes and 50,000 pods (this process),
 * and the Kubernetes driver listing and watching them (a child process, so its RSS is its own).
 * Run: `npx tsx packages/agent/bench/k8s-memory.ts [nodes] [pods]`. Target: driver RSS < 150 MB.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { startFakeApiServer } from "../../../test/k8s/fake-apiserver.ts";
import { aGpuNode, aPod } from "../../../test/k8s/fixtures.ts";

const NODES = Number(process.argv[2] ?? 5000);
const PODS = Number(process.argv[3] ?? 50_000);
const TARGET_MB = 150;

const api = await startFakeApiServer({ logRequests: false, bookmarkIntervalMs: 60_000 });
for (let i = 0; i < NODES; i++) {
  api.store.put(
    "v1/nodes",
    aGpuNode({ name: `gpu-${String(i).padStart(5, "0")}`, zone: `europe-west4-${"abc"[i % 3]}` }),
    { record: false },
  );
}
for (let i = 0; i < PODS; i++) {
  const node = `gpu-${String(i % NODES).padStart(5, "0")}`;
  // Most pods hold one GPU; every tenth is a CPU-only sidecar, every twentieth has finished.
  const phase = i % 20 === 19 ? "Succeeded" : "Running";
  api.store.put(
    "v1/pods",
    aPod({ name: `pod-${i}`, namespace: `team-${i % 50}`, node, gpus: i % 10 === 9 ? 0 : 1, phase }),
    { record: false },
  );
}

const kubeconfig = join(mkdtempSync(join(tmpdir(), "gantry-bench-")), "kubeconfig");
writeFileSync(kubeconfig, api.kubeconfigYaml());

const childSource = fileURLToPath(new URL("./k8s-memory-child.ts", import.meta.url));
/** The child bundled the way the agent image is built (packages/agent/build.mjs): one ESM file, no tsx. */
const bundle = join(mkdtempSync(join(tmpdir(), "gantry-bench-bundle-")), "child.mjs");
await build({
  entryPoints: [childSource],
  outfile: bundle,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["@kubernetes/client-node"],
  banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
  logLevel: "warning",
});

/** Run the driver once in a fresh child (bundled, or the sources under tsx) with extra V8 flags. */
const measure = async (v8Flags: string[], bundled: boolean): Promise<Record<string, number | boolean>> => {
  const script = bundled ? bundle : childSource;
  const loader = bundled ? [] : ["--import", "tsx"];
  const child = spawn(process.execPath, ["--expose-gc", ...v8Flags, ...loader, script], {
    env: { ...process.env, KUBECONFIG_PATH: kubeconfig },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  if (code !== 0) throw new Error(`driver process exited with ${code}`);
  return JSON.parse(out.trim().split("\n").pop() ?? "{}") as Record<string, number | boolean>;
};

// Default V8 settings, then the agent image's NODE_OPTIONS (a small young generation: the driver
// allocates short-lived page objects, and V8 otherwise keeps up to 3 x 16 MB of semi-space committed).
const runs: [string, Record<string, number | boolean>][] = [
  ["sources under tsx, node defaults", await measure([], false)],
  ["sources under tsx, --max-semi-space-size=2", await measure(["--max-semi-space-size=2"], false)],
  ["bundled, --max-semi-space-size=2 (as the image runs it)", await measure(["--max-semi-space-size=2"], true)],
];
await api.close();
const line = (k: string, v: unknown) => process.stdout.write(`${k.padEnd(28)} ${String(v)}\n`);
for (const [label, figures] of runs) {
  process.stdout.write(`\n== driver process, ${label}\n`);
  line("inventory (nodes / pods)", `${figures.nodes} / ${figures.pods} (of ${NODES} / ${PODS} served)`);
  line("GPUs in use (reported)", figures.gpusUsed);
  line("initial list time", `${figures.syncMs} ms`);
  line("capacity() time", `${figures.capacityMs} ms`);
  line("RSS before driver", `${figures.baselineRssMiB} MiB`);
  line("RSS peak during list", `${figures.peakRssMiB} MiB`);
  line("RSS after sync", `${figures.afterSyncRssMiB} MiB`);
  line("RSS after sync + GC", `${figures.afterGcRssMiB} MiB`);
  line("heap used / total after GC", `${figures.afterGcHeapUsedMiB} / ${figures.afterGcHeapTotalMiB} MiB`);
  line("external after GC", `${figures.afterGcExternalMiB} MiB`);
  const rss = Number(figures.afterGcRssMiB);
  const peak = Number(figures.peakRssMiB);
  line(
    "target",
    `< ${TARGET_MB} MB RSS: ${rss * 1.048576 < TARGET_MB && peak * 1.048576 < TARGET_MB ? "met" : "NOT met"} (after GC and at peak)`,
  );
}
