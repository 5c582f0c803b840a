import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { factsFromLease, parseNvidiaSmi, readNvidiaSmi } from "./node-facts.ts";
import { KubeLease } from "./schemas.ts";

// What `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits` prints on an 8-GPU H100 node.
const H100_NODE = `${"NVIDIA H100 80GB HBM3, 81559\n".repeat(8)}`;

describe("parseNvidiaSmi", () => {
  it("reads the product in GFD's spelling, the GPU count and the smallest memory", () => {
    expect(parseNvidiaSmi(H100_NODE)).toEqual({ product: "NVIDIA-H100-80GB-HBM3", count: 8, memoryMiB: 81559 });
    expect(parseNvidiaSmi("NVIDIA A100-SXM4-40GB, 40960\nNVIDIA A100-SXM4-40GB, 40536\n")).toEqual({
      product: "NVIDIA-A100-SXM4-40GB",
      count: 2,
      memoryMiB: 40536,
    });
  });

  it("finds nothing in empty output or an error message", () => {
    expect(parseNvidiaSmi("")).toBeUndefined();
    expect(parseNvidiaSmi("No devices were found\n")).toBeUndefined();
    expect(parseNvidiaSmi("NVIDIA-SMI has failed, because it couldn't communicate with the driver\n")).toBeUndefined();
  });
});

describe("readNvidiaSmi", () => {
  it("runs the binary and parses what it prints", async () => {
    const bin = join(mkdtempSync(join(tmpdir(), "gantry-smi-")), "nvidia-smi");
    writeFileSync(bin, `#!/bin/sh\nprintf 'NVIDIA L4, 23034\\n'\n`);
    chmodSync(bin, 0o755);
    expect(await readNvidiaSmi(bin)).toEqual({ product: "NVIDIA-L4", count: 1, memoryMiB: 23034 });
  });

  it("finds nothing when the binary is missing or fails", async () => {
    expect(await readNvidiaSmi("/nonexistent/nvidia-smi")).toBeUndefined();
    const bin = join(mkdtempSync(join(tmpdir(), "gantry-smi-")), "nvidia-smi");
    writeFileSync(bin, "#!/bin/sh\necho 'NVIDIA H100, 81559'\nexit 9\n");
    chmodSync(bin, 0o755);
    expect(await readNvidiaSmi(bin)).toBeUndefined();
  });
});

describe("factsFromLease", () => {
  const lease = (name: string, annotations: Record<string, string>, renewTime = "2026-11-30T10:00:00.000000Z") =>
    KubeLease.parse({ metadata: { name, annotations }, spec: { renewTime, leaseDurationSeconds: 90 } });
  const annotations = {
    "gantry.dev/gpu.product": "NVIDIA-H100-80GB-HBM3",
    "gantry.dev/gpu.count": "8",
    "gantry.dev/gpu.memory": "81559",
  };

  it("reads the node, its GPUs and when the facts lapse", () => {
    expect(factsFromLease(lease("gantry-node-gpu-7", annotations))).toEqual({
      node: "gpu-7",
      facts: { product: "NVIDIA-H100-80GB-HBM3", count: 8, memoryMiB: 81559 },
      expiresAt: Date.parse("2026-11-30T10:01:30Z"),
    });
  });

  it("ignores Leases that are not node facts or are incomplete", () => {
    expect(factsFromLease(lease("gantry-agent-leader", annotations))).toBeUndefined();
    expect(factsFromLease(lease("gantry-node-gpu-7", { "gantry.dev/gpu.count": "8" }))).toBeUndefined();
    expect(factsFromLease(lease("gantry-node-gpu-7", annotations, "not a time"))).toBeUndefined();
  });
});
