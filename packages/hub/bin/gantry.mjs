#!/usr/bin/env node
// The `gantry` command. It runs the bundle (dist/gantry.mjs, from `pnpm build`) when there is one and it is newer
// than every source file; otherwise it runs the TypeScript sources through tsx, so editing a file and running
// `pnpm gantry …` never runs stale code. GANTRY_TSX=1 forces the sources.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const pkg = fileURLToPath(new URL("..", import.meta.url));
const bundle = join(pkg, "dist", "gantry.mjs");

/** The newest modification time under `dir` (0 when it does not exist: an image ships no sources). */
const newest = (dir) => {
  let t = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
};

const fresh = () => {
  const built = statSync(bundle).mtimeMs;
  return ["hub", "agent", "shared"].every((p) => newest(join(pkg, "..", p, "src")) <= built);
};

if (process.env.GANTRY_TSX !== "1" && existsSync(bundle) && fresh()) {
  await import(bundle);
} else {
  if (existsSync(bundle) && process.env.GANTRY_TSX !== "1") {
    process.stderr.write("gantry: dist/ is older than the sources; running them with tsx (pnpm build refreshes it)\n");
  }
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/main.ts");
}
