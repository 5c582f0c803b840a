#!/usr/bin/env node
// Development entry: runs the TypeScript sources through tsx. The image runs the esbuild bundle (dist/).
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
