// Bundles the agent's entry point into one ESM file for the image: no tsx, no hub code, a smaller
// resident set (docs/benchmarks.md). @kubernetes/client-node stays external: the driver loads it only
// for exec-plugin and auth-provider kubeconfigs, and it is large.
import { build } from "esbuild";

await build({
  entryPoints: [new URL("./src/cli/main.ts", import.meta.url).pathname],
  outfile: new URL("./dist/gantry-agent.mjs", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["@kubernetes/client-node"],
  // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __gantryRequire } from 'node:module'; const require = __gantryRequire(import.meta.url);",
  },
  logLevel: "warning",
});
