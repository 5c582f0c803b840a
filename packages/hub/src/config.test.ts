import { describe, expect, it } from "vitest";
import { ConfigError, envNameOf, hubConfigFromEnv, parseHubConfig } from "./config.ts";

const refusal = (f: () => unknown): ConfigError => {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected a ConfigError");
};

describe("the hub's settings from the environment", () => {
  it("reads well-formed variables", () => {
    const c = parseHubConfig(hubConfigFromEnv({ GANTRY_ENGINE_THREAD: "false", GANTRY_BATCH_LIMIT: "12", PORT: "0" }));
    expect(c.engineThread).toBe(false);
    expect(c.batchLimit).toBe(12);
    expect(c.port).toBe(0);
  });

  it("takes 0 as table maintenance off, and refuses a negative period", () => {
    expect(parseHubConfig(hubConfigFromEnv({ GANTRY_DB_MAINTENANCE_EVERY_MS: "0" })).dbMaintenanceEveryMs).toBe(0);
    expect(parseHubConfig(hubConfigFromEnv({})).dbMaintenanceEveryMs).toBe(60_000);
    const e = refusal(() => parseHubConfig(hubConfigFromEnv({ GANTRY_DB_MAINTENANCE_EVERY_MS: "-5" })));
    expect(e.issues.map((i) => i.source)).toEqual(["GANTRY_DB_MAINTENANCE_EVERY_MS"]);
  });

  it("names each misspelt variable, its value and the field, and says why", () => {
    const e = refusal(() =>
      parseHubConfig(hubConfigFromEnv({ GANTRY_ENGINE_THREAD: "ture", GANTRY_BATCH_LIMIT: "abc", PORT: "70000" })),
    );
    expect(e.code).toBe("invalid_config");
    const by = new Map(e.issues.map((i) => [i.source, i]));
    expect([...by.keys()].sort()).toEqual(["GANTRY_BATCH_LIMIT", "GANTRY_ENGINE_THREAD", "PORT"]);
    expect(by.get("GANTRY_ENGINE_THREAD")).toMatchObject({ field: "engineThread", value: "ture" });
    expect(by.get("GANTRY_BATCH_LIMIT")).toMatchObject({ field: "batchLimit", value: "abc" });
    expect(e.message).toContain('GANTRY_ENGINE_THREAD (engineThread) = "ture"');
    expect(e.message).toContain('PORT (port) = "70000"');
  });

  it("reports a field a flag set as the flag, since the flag overrides the variable", () => {
    const e = refusal(() => parseHubConfig({ ...hubConfigFromEnv({ PORT: "80" }), port: -1 }, { port: "--port" }));
    expect(e.issues).toEqual([expect.objectContaining({ field: "port", source: "--port", value: "-1" })]);
  });

  it("maps nested auth settings to the variable that holds them", () => {
    expect(envNameOf(["auth", "rateLimit", "default", "burst"])).toBe("GANTRY_RATE_LIMIT_BURST");
    expect(envNameOf(["auth", "oidc", "groups", 0, "role"])).toBe("GANTRY_OIDC_GROUPS");
    expect(envNameOf(["auth", "oidc", "groupsClaim"])).toBe("GANTRY_OIDC_GROUPS_CLAIM");
    expect(envNameOf(["rtt"])).toBeUndefined();
    const e = refusal(() =>
      parseHubConfig(hubConfigFromEnv({ GANTRY_RATE_LIMIT_PER_SECOND: "fast", GANTRY_METRICS_REQUIRE_TOKEN: "maybe" })),
    );
    expect(e.issues.map((i) => i.source).sort()).toEqual([
      "GANTRY_METRICS_REQUIRE_TOKEN",
      "GANTRY_RATE_LIMIT_PER_SECOND",
    ]);
  });
});
