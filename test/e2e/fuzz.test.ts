import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { aJob, threeClusterFleet } from "../support/fleets.ts";
import { type FuzzRequest, fuzzRequest } from "../support/fuzz-inputs.ts";
import { type Stack, startStack } from "../support/stack.ts";

/**
 * No client input produces a 5xx. Thousands of generated requests (mutated documents of every kind, junk bodies,
 * random media types, odd paths and queries) go to the hub's app in process, a slice of them over real HTTP; every
 * answer must be below 500, a 4xx must be problem+json with a code, and a refused request must store nothing.
 * Deterministic: one seed (vitest.setup.ts, FC_SEED to explore), and FUZZ_CASES to run more.
 */
const IN_PROCESS = Number(process.env.FUZZ_CASES ?? 10_000);
const OVER_HTTP = Math.ceil(IN_PROCESS / 10);
const SEED = fc.readConfigureGlobal().seed ?? 20_261_201;
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 4);

interface Outcome {
  request: FuzzRequest;
  status: number;
}

/**
 * `fetch`, tried once more when the connection was reset. The hub runs in this process: after minutes of in-process
 * requests keep the event loop busy, a pooled keep-alive socket the server has closed meanwhile is handed out before
 * its close is seen (Node's keep-alive race), and the request never reaches the hub.
 */
const fetchOnce = async (url: string, init?: RequestInit): Promise<Response> => {
  try {
    return await fetch(url, init);
  } catch (e) {
    if ((e as { cause?: { code?: string } }).cause?.code !== "ECONNRESET") throw e;
    return fetch(url, init);
  }
};

const shown = (r: FuzzRequest): string => {
  const body = r.body ? new TextDecoder("utf-8", { fatal: false }).decode(r.body.slice(0, 300)) : "";
  return `${r.method} ${r.path} [${r.contentType ?? "no type"}] ${JSON.stringify(body)}`;
};

/** The i-th generated request: its own sample, so every case has its own names and the list is reproducible. */
const requestAt = (i: number): FuzzRequest => fc.sample(fuzzRequest(i), { seed: SEED + i, numRuns: 1 })[0]!;

describe("fuzzing the hub's API", () => {
  let stack: Stack;
  /** What was there before the fuzzing: it must be there, unchanged, after. */
  let before: string;
  /** Workloads the in-process run got accepted: each must read back as itself. */
  let acceptedWorkloads: Outcome[] = [];

  /** `stack.api`, tried once more on a reset connection (see `fetchOnce`). */
  const api = async (path: string, init?: RequestInit): Promise<Response> => {
    try {
      return await stack.api(path, init);
    } catch (e) {
      if ((e as { cause?: { code?: string } }).cause?.code !== "ECONNRESET") throw e;
      return stack.api(path, init);
    }
  };

  /** Every name the hub stores, by kind, and the admin's view of the pre-existing workload. */
  const storedNames = async (): Promise<Map<string, string[]>> => {
    const get = async (path: string) => {
      const r = await api(path);
      expect(r.status, path).toBe(200);
      return ((await r.json()) as { items: Record<string, unknown>[] }).items;
    };
    const name = (i: Record<string, unknown>) =>
      String((i.metadata as { name?: string } | undefined)?.name ?? i.name ?? "");
    const out = new Map<string, string[]>();
    out.set("workloads", []);
    let page: string | undefined;
    do {
      const r = await api(`/workloads?limit=1000${page ? `&continue=${encodeURIComponent(page)}` : ""}`);
      const body = (await r.json()) as { items: Record<string, unknown>[]; metadata: { continue?: string } };
      out.get("workloads")!.push(...body.items.map(name));
      page = body.metadata.continue;
    } while (page);
    out.set("policies", (await get("/policies")).map(name));
    out.set("budgets", (await get("/budgets")).map(name));
    out.set("clusters", (await get("/clusters?limit=1000")).map(name));
    out.set("datasets", (await get("/datasets")).map(name));
    out.set("tokens", (await get("/tokens")).map(name));
    return out;
  };

  const baseline = async (): Promise<string> => {
    const r = await api("/tenants/team-a/workloads/kept");
    // Its status (and so its resourceVersion) moves on as it runs; what was submitted must not.
    const { metadata, spec } = (await r.json()) as { metadata: { resourceVersion?: string }; spec: unknown };
    const policy = await (await api("/policies/kept")).json();
    return JSON.stringify({ metadata: { ...metadata, resourceVersion: undefined }, spec, policy });
  };

  beforeAll(async () => {
    stack = await startStack({
      database: "pglite",
      fleet: threeClusterFleet(),
      // The bus's authentication is not under test here, and minting each registered cluster's identity is slow.
      natsAuth: false,
      // The fuzzer is one caller sending thousands of requests a second: the rate limiter is not under test here.
      hub: { auth: { rateLimit: { default: { perSecond: 1_000_000, burst: 1_000_000 } } } },
    });
    await stack.readyClusters(3);
    const kept = await api("/workloads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(aJob("kept")),
    });
    expect(kept.status).toBe(201);
    const policy = await api("/policies/kept", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        apiVersion: "gantry.dev/v1alpha1",
        kind: "BurstPolicy",
        metadata: { name: "kept" },
        spec: { tenants: ["nobody"], pools: [{ name: "all" }] },
      }),
    });
    expect(policy.status).toBe(201);
    before = await baseline();
  });
  afterAll(async () => stack?.close());

  /** Send each request, collect outcomes; a 5xx or a 4xx that is not problem+json is a failure, named. */
  const run = async (
    from: number,
    count: number,
    send: (r: FuzzRequest) => Response | Promise<Response>,
  ): Promise<{ outcomes: Outcome[]; failures: string[] }> => {
    const outcomes: Outcome[] = [];
    const failures: string[] = [];
    const started = performance.now();
    const slow = new Map<string, number>();
    const one = async (i: number) => {
      const request = requestAt(i);
      const t = performance.now();
      const response = await send(request);
      const text = await response.text();
      const key = `${request.method} ${request.path.split("?")[0]!.replace(/fz-\d+/, "NAME")} ${response.status}`;
      slow.set(key, (slow.get(key) ?? 0) + performance.now() - t);
      outcomes.push({ request, status: response.status });
      if (response.status >= 500) failures.push(`#${i} ${response.status} ${text.slice(0, 200)} ← ${shown(request)}`);
      else if (response.status >= 400) {
        const type = response.headers.get("content-type") ?? "";
        let code: unknown;
        try {
          code = (JSON.parse(text) as { code?: unknown }).code;
        } catch {
          code = undefined;
        }
        if (type !== "application/problem+json" || typeof code !== "string") {
          failures.push(
            `#${i} ${response.status} not problem+json (${type}) ${text.slice(0, 100)} ← ${shown(request)}`,
          );
        }
      }
    };
    // A few requests in flight, as clients send them; each case has its own names, so none depends on another's turn.
    let next = from;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < from + count) await one(next++);
      }),
    );
    const byStatus = new Map<number, number>();
    for (const o of outcomes) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
    const costly = [...slow].sort((x, y) => y[1] - x[1]).slice(0, 8);
    console.info(
      `fuzz: ${count} requests in ${((performance.now() - started) / 1000).toFixed(1)} s; by status ${JSON.stringify(Object.fromEntries(byStatus))}; most time: ${costly.map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)} s`).join(", ")}`,
    );
    return { outcomes, failures };
  };

  const init = (r: FuzzRequest): RequestInit => ({
    method: r.method,
    headers: {
      authorization: `Bearer ${stack.token}`,
      ...(r.contentType !== undefined ? { "content-type": r.contentType } : {}),
    },
    ...(r.body ? { body: r.body } : {}),
  });

  /** Nothing a refused request named is stored; what was there before is unchanged. */
  const expectNothingStoredFor = async (outcomes: Outcome[]) => {
    const accepted = new Set(outcomes.filter((o) => o.status < 300).flatMap((o) => o.request.names));
    const refused = new Set(outcomes.filter((o) => o.status >= 400).flatMap((o) => o.request.names));
    for (const [kind, names] of await storedNames()) {
      const leaked = names.filter((n) => refused.has(n) && !accepted.has(n));
      expect(leaked, `${kind} stored by refused requests`).toEqual([]);
    }
    expect(await baseline()).toBe(before);
  };

  it(`answers ${IN_PROCESS} generated requests in process, none with a 5xx`, { timeout: 600_000 }, async () => {
    const { outcomes, failures } = await run(0, IN_PROCESS, (r) =>
      stack.hub.api.request(`http://hub/api/v1${r.path}`, init(r)),
    );
    expect(failures.slice(0, 20), `${failures.length} failures`).toEqual([]);
    // The mix reaches past parsing: some requests are accepted, most are refused for many reasons.
    const statuses = new Set(outcomes.map((o) => o.status));
    for (const s of [200, 201, 400, 404, 415]) expect(statuses, `status ${s} seen`).toContain(s);
    acceptedWorkloads = outcomes.filter(
      (o) => o.status === 201 && (o.request.path === "/workloads" || o.request.path === "/tenants/fuzz/workloads"),
    );
    await expectNothingStoredFor(outcomes);
  });

  it("reads back every accepted workload as the same workload (get -o yaml, then submit it again)", async () => {
    expect(acceptedWorkloads.length).toBeGreaterThan(0);
    for (const { request } of acceptedWorkloads) {
      const path = `/workloads/${request.names[0]}`;
      const shown = await api(path);
      expect(shown.status, path).toBe(200);
      const yaml = stringify(await shown.json());
      const again = await api("/workloads", {
        method: "POST",
        headers: { "content-type": "application/yaml" },
        body: yaml,
      });
      // The same spec: already accepted, so 200 with the stored workload, not a second one.
      expect(again.status, `${path}: ${await again.clone().text()}`).toBe(200);
      const stored = (await again.json()) as { metadata: { uid: string } };
      expect(stored.metadata.uid).toBe(
        ((await (await api(path)).json()) as { metadata: { uid: string } }).metadata.uid,
      );
    }
  });

  it(`answers ${OVER_HTTP} more over real HTTP, none with a 5xx`, { timeout: 600_000 }, async () => {
    const { outcomes, failures } = await run(IN_PROCESS, OVER_HTTP, (r) =>
      fetchOnce(`${stack.hub.url}/api/v1${r.path}`, init(r)),
    );
    expect(failures.slice(0, 20), `${failures.length} failures`).toEqual([]);
    await expectNothingStoredFor(outcomes);
    expect((await fetchOnce(`${stack.hub.url}/healthz`)).status).toBe(200);
  });
});
