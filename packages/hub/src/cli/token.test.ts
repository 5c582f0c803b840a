import { describe, expect, it } from "vitest";
import { isLoopbackUrl, resolveToken } from "./token.ts";

const files = (map: Record<string, string>) => (path: string) => map[path];

describe("the CLI's token", () => {
  it("prefers --token, then GANTRY_TOKEN", () => {
    const env = { GANTRY_TOKEN: "from-env" };
    expect(resolveToken({ flag: "from-flag", env, hub: "http://127.0.0.1:8080" })).toEqual({
      token: "from-flag",
      source: "--token",
    });
    expect(resolveToken({ env, hub: "https://hub.example" })).toEqual({ token: "from-env", source: "GANTRY_TOKEN" });
  });

  it("reads the local admin token only for a hub on this machine", () => {
    const readFile = files({ ".gantry/data/admin.token": "gtk_local" });
    expect(resolveToken({ env: {}, hub: "http://127.0.0.1:8080", readFile })).toEqual({
      token: "gtk_local",
      source: "admin.token",
    });
    expect(resolveToken({ env: {}, hub: "http://hub.example:8080", readFile })).toBeUndefined();
    expect(resolveToken({ env: {}, hub: "http://10.0.0.5:8080", readFile })).toBeUndefined();
  });

  it("looks in GANTRY_DATA_DIR when it is set, and sends nothing when there is no file", () => {
    const readFile = files({ "/srv/gantry/admin.token": "gtk_srv" });
    expect(resolveToken({ env: { GANTRY_DATA_DIR: "/srv/gantry" }, hub: "http://localhost:1", readFile })?.token).toBe(
      "gtk_srv",
    );
    expect(resolveToken({ env: {}, hub: "http://localhost:1", readFile })).toBeUndefined();
  });

  it.each([
    ["http://127.0.0.1:8080", true],
    ["http://127.1.2.3", true],
    ["http://localhost:8080", true],
    ["http://[::1]:8080", true],
    ["http://128.0.0.1", false],
    ["http://127.0.0.1.nip.io", false],
    ["http://localhost.example.com", false],
    ["not a url", false],
  ])("%s is loopback: %s", (url, loopback) => {
    expect(isLoopbackUrl(url)).toBe(loopback);
  });
});
