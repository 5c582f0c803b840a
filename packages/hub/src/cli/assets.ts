import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The example fleet `gantry up` runs by default. It is found by walking up from this module, so the same code works
 * from the sources (packages/hub/src/cli) and from the bundle (packages/hub/dist); outside a checkout (an image) it
 * falls back to examples/fleet.yaml under the working directory.
 */
export const defaultFleet = (): string => example("fleet.yaml");

/** The load trace and the inference service `gantry up` plays and submits by default (examples/inference). */
export const defaultTrace = (): string => example("inference/trace.yaml");
export const defaultService = (): string => example("inference/service.yaml");

/** A file under examples/, found as `defaultFleet` says. */
const example = (name: string): string => {
  const relative = join("examples", name);
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return relative;
  }
};
