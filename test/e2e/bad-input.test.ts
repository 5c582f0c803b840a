import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { FleetInput, WorkloadInput } from "@gantry/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { aJob, threeClusterFleet } from "../support/fleets.ts";
import { type Stack, startStack } from "../support/stack.ts";

/**
 * Every bad input of issue 11's first paragraph, against a real hub: a clear 4xx naming what is wrong, nothing stored,
 * and what was accepted before left as it was. The media types that used to answer 500 are accepted.
 */

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = join(root, "packages/hub/bin/gantry.mjs");

/** The three-cluster fleet and a fourth, tainted cluster that alone has MI300s. */
const fleet = (): FleetInput => {
  const f = threeClusterFleet();
  f.clusters?.push({
    name: "tainted-d",
    tier: "onprem",
    provider: "self",
    region: "eu-north-1",
    taints: [{ key: "dedicated", value: "research", effect: "NoSchedule" }],
    pricing: { gpuHour: { MI300: 2 } },
    nodes: [{ name: "mi", count: 1, gpu: { model: "MI300", count: 8, memoryGiB: 192 }, cpu: 64, memoryGiB: 512 }],
  });
  return f;
};

interface Problem {
  code: string;
  detail: string;
  errors?: { field: string; message: string; line?: number; column?: number }[];
}

describe("bad input never hurts", () => {
  let stack: Stack;
  /** Workloads accepted so far (tenant/name) and the first one's spec as stored: both must survive every refusal. */
  const accepted: string[] = [];
  let firstSpec = "";

  const post = (body: string | Uint8Array, type?: string, path = "/workloads") =>
    stack.api(path, { method: "POST", ...(type ? { headers: { "content-type": type } } : {}), body });

  /** The names the hub lists, every tenant. */
  const listed = async (): Promise<string[]> => {
    const r = await stack.api("/workloads?limit=1000");
    expect(r.status).toBe(200);
    const { items } = (await r.json()) as { items: { metadata: { name: string; tenant: string } }[] };
    return items.map((w) => `${w.metadata.tenant}/${w.metadata.name}`).sort();
  };

  const specOf = async (tenant: string, name: string) =>
    JSON.stringify(
      ((await (await stack.api(`/tenants/${tenant}/workloads/${name}`)).json()) as { spec: unknown }).spec,
    );

  /** A refusal: its status, problem+json with `code`, a field named (when given), and nothing new stored. */
  const expectRefused = async (
    response: Response,
    status: number,
    code: string,
    field?: string | RegExp,
  ): Promise<Problem> => {
    const text = await response.text();
    expect(response.status, text).toBe(status);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = JSON.parse(text) as Problem;
    expect(problem.code).toBe(code);
    if (field !== undefined) {
      const fields = (problem.errors ?? []).map((e) => e.field);
      if (typeof field === "string") expect(fields).toContain(field);
      else
        expect(
          fields.some((f) => field.test(f)),
          fields.join(", "),
        ).toBe(true);
    }
    expect(await listed()).toEqual([...accepted].sort());
    if (accepted.length > 0) expect(await specOf("team-a", "first")).toBe(firstSpec);
    return problem;
  };

  const expectAccepted = async (response: Response, tenant: string, name: string) => {
    const text = await response.text();
    expect(response.status, text).toBe(201);
    accepted.push(`${tenant}/${name}`);
    expect(await listed()).toEqual([...accepted].sort());
  };

  /** A valid job as YAML with `edit` applied to its spec (JavaScript values, so a test can add any field). */
  const job = (name: string, edit: (spec: Record<string, unknown>) => void = () => {}): string => {
    const w = aJob(name, { gang: false, replicas: 1 }) as WorkloadInput & { spec: Record<string, unknown> };
    edit(w.spec);
    return stringify(w);
  };

  beforeAll(async () => {
    stack = await startStack({ database: "pglite", fleet: fleet() });
    await stack.readyClusters(4);
    await expectAccepted(await post(job("first"), "application/yaml"), "team-a", "first");
    firstSpec = await specOf("team-a", "first");
  });
  afterAll(async () => stack?.close());

  describe("misspelt fields are refused, naming the field and the one meant", () => {
    it.each([
      ["replica: 3", "replica", "spec.replica", "spec.replicas"],
      ["resource:", "resource", "spec.resource", "spec.resources"],
      ["placment:", "placment", "spec.placment", "spec.placement"],
    ])("%s", async (_, key, field, meant) => {
      const body = job("typo", (spec) => {
        const real = meant.split(".")[1]!;
        spec[key] = spec[real] ?? 3;
        delete spec[real];
      });
      const problem = await expectRefused(await post(body, "application/yaml"), 400, "validation_failed", field);
      expect(problem.detail).toContain(`did you mean ${meant}?`);
      // YAML input: the line of the field in the text.
      expect(problem.errors?.find((e) => e.field === field)?.line).toBeGreaterThan(1);
    });
  });

  it("refuses a dataset no one registered, naming the known ones", async () => {
    const body = job("no-data", (spec) => {
      spec.data = ["imagenett"];
    });
    const problem = await expectRefused(await post(body), 422, "unknown_reference", "spec.data.0");
    expect(problem.detail).toMatch(/unknown dataset "imagenett"; did you mean imagenet\?/);
  });

  it("refuses a GPU model no registered cluster has, naming the known ones", async () => {
    const body = job("no-gpu", (spec) => {
      spec.resources = { gpu: { count: 1, models: ["H200"] } };
    });
    const problem = await expectRefused(await post(body), 422, "unknown_reference", "spec.resources.gpu.models.0");
    expect(problem.detail).toContain("A100, H100, L4, MI300");
  });

  it("refuses a gang larger than the whole fleet as unsatisfiable, saying why", async () => {
    const body = job("too-big", (spec) => {
      spec.gang = true;
      spec.replicas = 100;
      spec.resources = { gpu: { count: 8 } };
    });
    const problem = await expectRefused(await post(body, "application/json"), 422, "unsatisfiable");
    expect(problem.detail).toMatch(/cannot run even on an empty fleet/);
  });

  describe("YAML with the content types clients send is accepted", () => {
    it.each([
      ["curl's default", "application/x-www-form-urlencoded", "curl-default"],
      ["text/yaml", "text/yaml", "text-yaml"],
      ["application/x-yaml", "application/x-yaml", "x-yaml"],
      ["no content type", undefined, "no-type"],
    ])("%s", async (_, type, name) => {
      await expectAccepted(await post(job(name), type), "team-a", name);
    });

    it("and an unknown type is 415", async () => {
      await expectRefused(await post(job("png"), "image/png"), 415, "unsupported_media_type");
    });
  });

  it("refuses malformed JSON with the parser's line and column", async () => {
    const text = `{\n  "apiVersion": "gantry.dev/v1alpha1",\n  "kind": "Workload",\n  "metadata": {"name": "broken"\n`;
    const problem = await expectRefused(await post(text, "application/json"), 400, "validation_failed", "");
    expect(problem.errors?.[0]).toMatchObject({ line: expect.any(Number), column: expect.any(Number) });
    expect(problem.detail).toMatch(/not valid YAML or JSON/);
  });

  it("refuses a NUL byte in a path, naming the parameter", async () => {
    await expectRefused(await stack.api("/tenants/team-a/workloads/a%00b"), 400, "validation_failed", "name");
    const policy = stack.api("/policies/a%00b", {
      method: "PUT",
      headers: { "content-type": "application/yaml" },
      body: "apiVersion: gantry.dev/v1alpha1\nkind: BurstPolicy\nmetadata: { name: a }\nspec: { pools: [{ name: p }] }\n",
    });
    await expectRefused(await policy, 400, "validation_failed", "name");
    expect(((await (await stack.api("/policies")).json()) as { items: unknown[] }).items).toEqual([]);
    // And in a body: refused before parsing.
    await expectRefused(await post(job("nul").replace("busybox", "busy\u0000box")), 400, "bad_request");
  });

  it("refuses a NUL in a query parameter or a forged continue token, naming it, on every route", async () => {
    // Each of these reached PostgreSQL as text and answered 500.
    await expectRefused(await stack.api("/workloads?tenant=a%00b"), 400, "validation_failed", "tenant");
    await expectRefused(await stack.api("/audit?subject=a%00b"), 400, "validation_failed", "subject");
    const forged = Buffer.from(JSON.stringify({ tenant: "team-a\u0000", name: "x" })).toString("base64url");
    await expectRefused(await stack.api(`/workloads?continue=${forged}`), 400, "validation_failed", "continue");
    const surrogate = Buffer.from('{"tenant":"team-a","name":"\\ud800"}').toString("base64url");
    await expectRefused(await stack.api(`/workloads?continue=${surrogate}`), 400, "validation_failed", "continue");
    // A token the hub issued still pages.
    const first = (await (await stack.api("/workloads?limit=1")).json()) as { metadata: { continue?: string } };
    if (first.metadata.continue)
      expect((await stack.api(`/workloads?limit=1&continue=${first.metadata.continue}`)).status).toBe(200);
  });

  it("refuses a YAML alias bomb at once", async () => {
    const levels = Array.from({ length: 9 }, (_, i) => {
      const prev = i === 0 ? "a" : `l${i - 1}`;
      return `l${i}: &l${i} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`;
    });
    const bomb = `a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n${levels.join("\n")}\n`;
    const started = Date.now();
    const problem = await expectRefused(await post(bomb, "application/yaml"), 400, "validation_failed", "");
    expect(problem.detail).toMatch(/aliases expand more than 100 times/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  describe("refuses a priority past its bound", () => {
    it.each([
      ["2^40 as a number", 2 ** 40],
      ["2^40 as written", "2^40"],
    ])("%s", async (_, priority) => {
      const body = job("loud", (spec) => {
        spec.priority = priority;
      });
      const problem = await expectRefused(await post(body), 400, "validation_failed", "spec.priority");
      if (typeof priority === "number") expect(problem.detail).toMatch(/spec\.priority: must be at most 1000000000/);
    });
  });

  it("refuses a 50 MB body with 413 without reading it all", async () => {
    const total = 50 * 1024 * 1024;
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= total) return controller.close();
        pulled += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const response = await stack.api("/workloads", {
      method: "POST",
      headers: { "content-type": "application/yaml" },
      body,
      duplex: "half",
    } as RequestInit);
    await expectRefused(response, 413, "payload_too_large");
    // The hub stopped at its 1 MiB limit; a few chunks in flight past it are all the client was asked for.
    expect(pulled).toBeLessThan(total / 4);
    // With a Content-Length the hub refuses before reading anything.
    await expectRefused(await post(new Uint8Array(total).fill(0x61), "application/yaml"), 413, "payload_too_large");
  });

  describe("tolerations mean what they mean in Kubernetes", () => {
    const onMi300 = (name: string, tolerations: unknown[]) =>
      job(name, (spec) => {
        spec.resources = { gpu: { count: 1, models: ["MI300"] } };
        spec.data = [];
        spec.placement = { tolerations };
      });

    it.each([
      ["an operator Kubernetes does not have", [{ key: "dedicated", operator: "In", value: "x" }], "operator"],
      ["Exists with a value", [{ key: "dedicated", operator: "Exists", value: "research" }], "value"],
      ["an empty key without Exists", [{ operator: "Equal", value: "research" }], "operator"],
      [
        "tolerationSeconds without NoExecute",
        [{ key: "dedicated", operator: "Exists", effect: "NoSchedule", tolerationSeconds: 60 }],
        "effect",
      ],
      ["a key that is not a qualified name", [{ key: "bad key!", operator: "Exists" }], "key"],
    ])("refuses %s", async (_, tolerations, field) => {
      await expectRefused(
        await post(onMi300("bad-toleration", tolerations)),
        400,
        "validation_failed",
        `spec.placement.tolerations.0.${field}`,
      );
    });

    it("does not widen Equal with no value to Exists: the tainted cluster stays out of reach", async () => {
      const body = onMi300("equal-empty", [{ key: "dedicated", operator: "Equal" }]);
      const problem = await expectRefused(await post(body), 422, "unsatisfiable");
      expect(problem.detail).toMatch(/taint/);
    });

    it("accepts Exists with no key (tolerate everything) and an exact Equal", async () => {
      await expectAccepted(await post(onMi300("tolerate-all", [{ operator: "Exists" }])), "team-a", "tolerate-all");
      const exact = onMi300("tolerate-exact", [
        { key: "dedicated", operator: "Equal", value: "research", effect: "NoSchedule" },
      ]);
      await expectAccepted(await post(exact), "team-a", "tolerate-exact");
    });
  });

  it("the CLI names the file and the field, once, with the validation exit code", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gantry-bad-"));
    const file = join(dir, "job.yaml");
    await writeFile(
      file,
      job("cli-typo", (spec) => {
        spec.replica = 3;
        delete spec.replicas;
      }),
    );
    let result: { code: number; stderr: string };
    try {
      await run("node", [bin, "--hub", stack.hub.url, "submit", "-f", file], {
        cwd: root,
        env: { ...process.env, LOG_LEVEL: "silent", GANTRY_TOKEN: stack.token, GANTRY_DATA_DIR: dir },
      });
      result = { code: 0, stderr: "" };
    } catch (e) {
      result = e as { code: number; stderr: string };
    }
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toContain("spec.replica");
    expect(result.stderr).toContain("did you mean spec.replicas?");
    // Said once: the field's line appears a single time.
    expect(result.stderr.match(/- spec\.replica:/g)).toHaveLength(1);
    expect(await listed()).toEqual([...accepted].sort());
  });
});

describe("a misspelt setting stops a server before it starts, naming the variable", () => {
  const start = async (args: string[], env: Record<string, string>) => {
    const dir = await mkdtemp(join(tmpdir(), "gantry-badenv-"));
    try {
      await run("node", [bin, ...args], {
        cwd: dir,
        timeout: 30_000,
        env: { ...process.env, LOG_LEVEL: "silent", GANTRY_DATA_DIR: dir, NATS_URL: "nats://127.0.0.1:1", ...env },
      });
      return { code: 0, stderr: "" };
    } catch (e) {
      return e as { code: number; stderr: string };
    }
  };

  it("gantry hub: exit 2, each variable with its value and why, no stack trace", async () => {
    const r = await start(["hub", "--port", "0"], { GANTRY_ENGINE_THREAD: "ture", GANTRY_BATCH_LIMIT: "abc" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("invalid_config");
    expect(r.stderr).toContain('GANTRY_ENGINE_THREAD (engineThread) = "ture"');
    expect(r.stderr).toContain('GANTRY_BATCH_LIMIT (batchLimit) = "abc"');
    expect(r.stderr).not.toMatch(/ZodError|\n\s+at /);
  });

  it("gantry up: the same, before NATS or a database is started", async () => {
    const r = await start(["up", "--port", "0", "--data-dir", "/tmp"], { GANTRY_UPKEEP_INTERVAL_MS: "-5" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('GANTRY_UPKEEP_INTERVAL_MS (upkeepIntervalMs) = "-5"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
