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
  // The OpenTelemetry SDK loads only when tracing is configured (cli/tracing.ts); the image installs it.
  external: [
    "@kubernetes/client-node",
    "@opentelemetry/sdk-trace-node",
    "@opentelemetry/exporter-trace-otlp-http",
    "@opentelemetry/resources",
  ],
  // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __gantryRequire } from 'node:module'; const require = __gantryRequire(import.meta.url);",
  },
  logLevel: "warning",
});
