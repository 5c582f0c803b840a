// Bundles the `gantry` command (CLI, hub, embedded agents) into packages/hub/dist: node runs it directly, without
// tsx compiling the sources on every start (docs/benchmarks.md, "Start-up"). Code splitting keeps the client
// commands fast: the hub, the agent, the engine and the Kubernetes client are chunks loaded when a command needs
// them. Files the code reads beside itself (the dashboard, the migrations) are copied next to the chunks, which is
// where `new URL(..., import.meta.url)` looks for them.
import { cpSync, readdirSync, rmSync } from "node:fs";
import { build } from "esbuild";

const here = (path) => new URL(path, import.meta.url).pathname;
const outdir = here("./dist");

rmSync(outdir, { recursive: true, force: true });
await build({
  // The engine thread is an entry of its own: the hub starts it as a worker from beside its chunks.
  entryPoints: { gantry: here("./src/cli/main.ts"), "engine-thread": here("./src/scheduler/engine-thread.ts") },
  outdir,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // PGlite loads its wasm and data files relative to its own module, so it runs from node_modules (a hub
  // dependency, resolved from dist/). pg only tries pg-native when asked to.
  external: ["@electric-sql/pglite", "pg-native"],
  // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __gantryRequire } from 'node:module'; const require = __gantryRequire(import.meta.url);",
  },
  logLevel: "warning",
});
// The console's page and modules, read by api/dashboard/serve.ts beside itself (in the bundle: beside the chunks).
for (const name of readdirSync(here("./src/api/dashboard"))) {
  if (!name.endsWith(".ts")) cpSync(here(`./src/api/dashboard/${name}`), `${outdir}/${name}`);
}
cpSync(here("./src/store/migrations"), `${outdir}/migrations`, { recursive: true });
