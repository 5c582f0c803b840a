import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { subjects } from "@gantry/shared";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { connectWithCreds, recordStatus } from "../support/nats-auth.ts";
import { freePort } from "../support/ports.ts";
import { type ManagedProcess, REPO_ROOT, spawnProcess } from "../support/processes.ts";
import { eventually } from "../support/stack.ts";

/**
 * The security promise as a new user meets it: a clean data folder, `gantry up`, then calls with no token, the admin
 * token it wrote, and member tokens of two tenants; and the NATS URL it printed, anonymously and with one agent's
 * credentials.
 */
describe("gantry up is safe on a shared network", () => {
  let up: ManagedProcess;
  let dir: string;
  let hub = "";
  let natsUrl = "";
  let admin = "";

  const call = (path: string, token: string | undefined, init: RequestInit = {}) =>
    fetch(`${hub}${path}`, {
      ...init,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(init.body ? { "content-type": "application/yaml" } : {}),
      },
    });

  const mint = async (name: string, role: string, tenant?: string) => {
    const r = await call("/api/v1/tokens", admin, {
      method: "POST",
      body: JSON.stringify({ name, role, ...(tenant ? { tenant } : {}) }),
    });
    expect(r.status).toBe(201);
    return ((await r.json()) as { token: string }).token;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gantry-up-sec-"));
    const port = await freePort();
    up = await spawnProcess({
      name: "gantry-up",
      command: process.execPath,
      args: [
        join(REPO_ROOT, "packages/hub/bin/gantry.mjs"),
        "up",
        "--port",
        String(port),
        "--data-dir",
        dir,
        "--no-service",
      ],
      env: { LOG_LEVEL: "warn", NATS_URL: "", GANTRY_TOKEN: "" },
      logFile: join(dir, "up.log"),
      ready: async (p) => {
        await p.waitForOutput(/Gantry is up\./, 90_000);
      },
      readyTimeoutMs: 90_000,
    });
    hub = /dashboard\s+(http:\/\/[^/\s]+)\//.exec(up.output)?.[1] ?? "";
    natsUrl = /NATS\s+(nats:\/\/\S+)/.exec(up.output)?.[1] ?? "";
    admin = (await readFile(join(dir, "admin.token"), "utf8")).trim();
  }, 120_000);

  afterAll(async () => {
    await up?.stop(10_000);
    await rm(dir, { recursive: true, force: true });
  });

  it("answers 401 without a token and 200 with the admin token it wrote", async () => {
    expect(hub).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const anonymous = await call("/api/v1/workloads", undefined);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("content-type")).toContain("application/problem+json");
    expect(((await anonymous.json()) as { code: string }).code).toBe("unauthenticated");
    expect((await call("/api/v1/workloads", admin)).status).toBe(200);
  });

  it("walls tenant a's member off tenant b's workloads and off burst policies", async () => {
    const a = await mint("alice", "member", "a");
    const b = await mint("bob", "member", "b");
    const job = (await readFile(join(REPO_ROOT, "examples/train-job.yaml"), "utf8")).replace(
      "tenant: vision",
      "tenant: b",
    );
    const created = await call("/api/v1/workloads", b, { method: "POST", body: job });
    expect(created.status).toBe(201);

    for (const path of [
      "/api/v1/tenants/b/workloads/resnet-train",
      "/api/v1/tenants/b/workloads/resnet-train/explain",
      "/api/v1/tenants/b/workloads",
    ]) {
      const r = await call(path, a);
      expect(r.status, path).toBe(403);
      expect(((await r.json()) as { code: string }).code).toBe("forbidden");
    }
    // The fleet-wide list shows a's tenant only: nothing of b's.
    const list = (await (await call("/api/v1/workloads", a)).json()) as { items: { metadata: { name: string } }[] };
    expect(list.items.map((w) => w.metadata.name)).not.toContain("resnet-train");
    expect((await call("/api/v1/tenants/b/workloads/resnet-train", a, { method: "DELETE" })).status).toBe(403);
    // Still there for its owner.
    expect((await call("/api/v1/tenants/b/workloads/resnet-train", b)).status).toBe(200);

    const policy =
      "apiVersion: gantry.dev/v1alpha1\nkind: BurstPolicy\nmetadata: { name: steal }\nspec:\n  pools:\n    - { name: all, selector: {} }\n";
    const put = await call("/api/v1/policies/steal", a, { method: "PUT", body: policy });
    expect(put.status).toBe(403);
    expect(((await put.json()) as { code: string }).code).toBe("forbidden");
    // The same document from an operator's token is taken: the refusal was the role, not the body.
    const byAdmin = await call("/api/v1/policies/steal", admin, { method: "PUT", body: policy });
    expect(byAdmin.status, await byAdmin.clone().text()).toBeLessThan(300);
  });

  it("refuses an anonymous NATS client, and an agent's credentials cannot speak for another cluster", async () => {
    expect(natsUrl).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    await expect(connect({ servers: natsUrl, maxReconnectAttempts: 0 })).rejects.toMatchObject({
      name: "AuthorizationError",
    });
    const fleet = parse(await readFile(join(REPO_ROOT, "examples/fleet.yaml"), "utf8")) as {
      clusters: { name: string }[];
    };
    const [mine, other] = fleet.clusters.map((c) => c.name);
    const creds = await readFile(join(dir, "creds", `${mine}.creds`), "utf8");
    const nc = await connectWithCreds(natsUrl, creds);
    try {
      const status = recordStatus(nc);
      nc.publish(subjects.heartbeat(other!), "{}");
      await nc.flush();
      const refused = await eventually(
        async () =>
          status.events.find((e) => e.status.type === "error" && e.status.error.name === "PermissionViolationError"),
        "the server to refuse the publish",
      );
      expect(String(refused.status.type === "error" ? refused.status.error.message : "")).toContain(
        subjects.heartbeat(other!),
      );
    } finally {
      await nc.close();
    }
  });
});
