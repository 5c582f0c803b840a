import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** What the short-lived process runs: open the folder (PGlite runs initdb in it), then close it. */
const INIT = `const { PGlite } = await import(process.argv[1]);
const db = new PGlite(process.argv[2]);
await db.query("select 1");
await db.close();`;

/**
 * Initialise a new embedded database folder in a process of its own, then let the hub open it. PGlite's initdb grows
 * its WebAssembly memory to ~630 MB, and a WebAssembly memory never shrinks: a hub that initialised its own folder
 * held ~800 MiB for its first two minutes and ~450 MiB after, where one opening an initialised folder holds ~290 MiB
 * (docs/benchmarks.md, "gantry up's memory"). This runs once per folder (it has `PG_VERSION` afterwards) and takes
 * the time initdb took in the hub (~2.5 s). If the process fails, the hub initialises the folder itself as before,
 * and any error is then its own, said where it happens.
 */
export const initialiseDataDir = async (dataDir: string): Promise<"initialised" | "existing" | "in-process"> => {
  if (dataDir.startsWith("memory://") || existsSync(join(dataDir, "PG_VERSION"))) return "existing";
  try {
    // Resolved from here: in the bundle PGlite stays in node_modules beside it (build.mjs), from source the same.
    const entry = pathToFileURL(createRequire(import.meta.url).resolve("@electric-sql/pglite")).href;
    await run(process.execPath, ["--input-type=module", "-e", INIT, entry, dataDir], { timeout: 120_000 });
    return existsSync(join(dataDir, "PG_VERSION")) ? "initialised" : "in-process";
  } catch {
    return "in-process";
  }
};
