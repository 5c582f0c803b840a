/**
 * The measured side of the memory benchmark: one Kubernetes driver in its own process, so its RSS
 * is not mixed with the fake API server's. Prints one JSON line with the figures.
 * Env: KUBECONFIG_PATH. The driver loads it itself, as `gantry agent` does (no @kubernetes/client-node).
 */
import { ClusterDescription } from "@gantry/shared";
import { createKubernetesDriver } from "../src/drivers/kubernetes/index.ts";

const MiB = 2 ** 20;
const gc = (globalThis as { gc?: () => void }).gc;
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
};
const silent = { info() {}, warn() {}, error() {}, debug() {} };

await settle();
const baseline = process.memoryUsage();
const driver = createKubernetesDriver({
  kubeconfigPath: process.env.KUBECONFIG_PATH ?? "",
  cluster: ClusterDescription.parse({ name: "bench", tier: "cloud", pricing: { gpuHour: { A100: 3.7 } } }),
  logger: silent,
  ...(process.env.PAGE_SIZE ? { pageSize: Number(process.env.PAGE_SIZE) } : {}),
});
const started = performance.now();
let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);
await driver.start();
const syncMs = performance.now() - started;
clearInterval(sampler);
const afterSync = process.memoryUsage();
peakRss = Math.max(peakRss, afterSync.rss);
await settle();
const afterGc = process.memoryUsage();
const t = performance.now();
const report = driver.capacity();
const capacityMs = performance.now() - t;
const gpusUsed = report.nodes.reduce((n, r) => n + r.gpusUsed, 0);
await driver.close();
process.stdout.write(
  `${JSON.stringify({
    nodes: driver.stats.inventory().nodes,
    pods: driver.stats.inventory().pods,
    reportedNodes: report.nodes.length,
    gpusUsed,
    syncMs: Math.round(syncMs),
    capacityMs: Math.round(capacityMs * 10) / 10,
    baselineRssMiB: Math.round(baseline.rss / MiB),
    peakRssMiB: Math.round(peakRss / MiB),
    afterSyncRssMiB: Math.round(afterSync.rss / MiB),
    afterGcRssMiB: Math.round(afterGc.rss / MiB),
    afterGcHeapUsedMiB: Math.round(afterGc.heapUsed / MiB),
    afterGcHeapTotalMiB: Math.round(afterGc.heapTotal / MiB),
    afterGcExternalMiB: Math.round(afterGc.external / MiB),
    gcExposed: gc !== undefined,
  })}\n`,
);
