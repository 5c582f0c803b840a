import { execFile } from "node:child_process";
import { isDriverError } from "./errors.ts";
import type { KubeHttp } from "./http.ts";
import { microTime } from "./leader.ts";
import type { DriverLogger } from "./options.ts";
import { KubeLease } from "./schemas.ts";

/**
 * Per-node facts in DaemonSet mode. Every agent pod reads what only its own node knows — the GPUs the NVIDIA
 * driver sees, for nodes without GPU feature discovery labels — and keeps it on a Lease of its own
 * (`gantry-node-<node>`, as the kubelet keeps its heartbeat on a Lease in `kube-node-lease`). The leader watches
 * those Leases and fills in the GPU model and memory the Node object lacks.
 */
export const NODE_FACTS_LABEL = "gantry.dev/node-facts";
export const FACT_PRODUCT = "gantry.dev/gpu.product";
export const FACT_MEMORY_MIB = "gantry.dev/gpu.memory";
export const FACT_COUNT = "gantry.dev/gpu.count";

export interface NodeGpuFacts {
  /** Product in GFD's spelling (`NVIDIA-H100-80GB-HBM3`), so node selectors and prices see one name. */
  product: string;
  count: number;
  /** Memory of the smallest GPU on the node, MiB (GFD's unit). */
  memoryMiB: number;
}

const LEASE_PREFIX = "gantry-node-";

export const leaseNameFor = (node: string): string => `${LEASE_PREFIX}${node}`;

/** The node a per-node Lease is for, or undefined for any other Lease. */
export const nodeOfLease = (leaseName: string): string | undefined =>
  leaseName.startsWith(LEASE_PREFIX) && leaseName.length > LEASE_PREFIX.length
    ? leaseName.slice(LEASE_PREFIX.length)
    : undefined;

/**
 * Parses `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits`: one line per GPU,
 * `NVIDIA H100 80GB HBM3, 81559`. Undefined when there is no GPU line.
 */
export const parseNvidiaSmi = (text: string): NodeGpuFacts | undefined => {
  let product = "";
  let count = 0;
  let memoryMiB = Number.POSITIVE_INFINITY;
  for (const line of text.split("\n")) {
    const comma = line.lastIndexOf(",");
    if (comma < 0) continue;
    const name = line.slice(0, comma).trim();
    const memory = Number(line.slice(comma + 1).trim());
    if (name === "" || !Number.isFinite(memory)) continue;
    // GFD joins the words of the product name with dashes; a node reports one product.
    product ||= name.split(/\s+/).join("-");
    count++;
    memoryMiB = Math.min(memoryMiB, memory);
  }
  return count === 0 ? undefined : { product, count, memoryMiB };
};

/** Runs nvidia-smi on this node; undefined when it is not installed or sees no GPU. */
export const readNvidiaSmi = (binary = "nvidia-smi"): Promise<NodeGpuFacts | undefined> =>
  new Promise((resolve) => {
    execFile(
      binary,
      ["--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
      { timeout: 10_000 },
      (error, stdout) => resolve(error ? undefined : parseNvidiaSmi(stdout)),
    );
  });

/** The facts a node's Lease carries and when they lapse (ms since the epoch), or undefined when it carries none. */
export const factsFromLease = (
  lease: KubeLease,
): { node: string; facts: NodeGpuFacts; expiresAt: number } | undefined => {
  const a = lease.metadata.annotations ?? {};
  const node = nodeOfLease(lease.metadata.name);
  const product = a[FACT_PRODUCT];
  const count = Number(a[FACT_COUNT]);
  const memoryMiB = Number(a[FACT_MEMORY_MIB]);
  if (!node || !product || !Number.isFinite(count) || !Number.isFinite(memoryMiB)) return undefined;
  const renewed = Date.parse(lease.spec.renewTime ?? "");
  if (!Number.isFinite(renewed)) return undefined;
  return {
    node,
    facts: { product, count, memoryMiB },
    expiresAt: renewed + (lease.spec.leaseDurationSeconds ?? 0) * 1000,
  };
};

export interface NodeFactsReporterOptions {
  http: KubeHttp;
  namespace: string;
  node: string;
  identity: string;
  intervalMs: number;
  now: () => number;
  logger: DriverLogger;
  read: () => Promise<NodeGpuFacts | undefined>;
}

/** Keeps this pod's node facts on its Lease, renewed every interval; the Lease lapses after three missed. */
export class NodeFactsReporter {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly o: NodeFactsReporterOptions) {}

  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.tick());
    }, this.o.intervalMs);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    try {
      const facts = await this.o.read();
      if (facts) await this.write(facts);
    } catch (e) {
      this.o.logger.warn({ err: e instanceof Error ? e.message : String(e) }, "could not report node facts");
    }
  }

  private async write(facts: NodeGpuFacts): Promise<void> {
    const name = leaseNameFor(this.o.node);
    const collection = `/apis/coordination.k8s.io/v1/namespaces/${this.o.namespace}/leases`;
    const body = (resourceVersion?: string) => ({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name,
        namespace: this.o.namespace,
        labels: { [NODE_FACTS_LABEL]: "true" },
        annotations: {
          [FACT_PRODUCT]: facts.product,
          [FACT_COUNT]: String(facts.count),
          [FACT_MEMORY_MIB]: String(facts.memoryMiB),
        },
        ...(resourceVersion ? { resourceVersion } : {}),
      },
      spec: {
        holderIdentity: this.o.identity,
        leaseDurationSeconds: Math.ceil((3 * this.o.intervalMs) / 1000),
        renewTime: microTime(this.o.now()),
      },
    });
    let existing: KubeLease | undefined;
    try {
      existing = KubeLease.parse(await this.o.http.request("GET", `${collection}/${name}`));
    } catch (e) {
      if (!isDriverError(e, "k8s_not_found")) throw e;
    }
    if (existing) {
      await this.o.http.request("PUT", `${collection}/${name}`, {
        body: body(existing.metadata.resourceVersion),
        contentType: "application/json",
      });
    } else {
      await this.o.http.request("POST", collection, { body: body(), contentType: "application/json" });
    }
  }
}
