import { readFileSync } from "node:fs";

/** This package's version (the hub's and the CLI's: they ship together), read once from its package.json. */
export const HUB_VERSION: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;
