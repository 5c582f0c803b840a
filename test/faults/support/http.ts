import type { WorkloadInput } from "@gantry/shared";
import type { AcceptedWorkload } from "../../support/reliability.ts";

/** What one HTTP call gave: status 0 when no answer came at all (refused, reset, timed out). */
export interface Answer<T = unknown> {
  status: number;
  body: T;
  /** How long the call took (ms). */
  ms: number;
  error?: string;
}

/** Every workload the API accepted in this run, in order: the checker's list of what must not be lost. */
export class Ledger {
  readonly accepted: AcceptedWorkload[] = [];
  record(w: AcceptedWorkload): void {
    const known = this.accepted.find((a) => a.tenant === w.tenant && a.name === w.name);
    if (known && known.uid === w.uid) return;
    this.accepted.push(w);
  }
  get jobUids(): Set<string> {
    return new Set(this.accepted.filter((a) => a.type === "job").map((a) => a.uid));
  }
}

export interface WorkloadView {
  metadata: { name: string; tenant: string; uid: string };
  spec: { type: "job" | "service" };
  status: {
    phase: string;
    message: string;
    generation: number;
    placements: { cluster: string; active: boolean; phase: string; generation: number; replicas: number }[];
  };
}

export interface ClusterView {
  name: string;
  health: string;
  state: string;
  agent: { id: string | null };
  lastSeenAt: string | null;
}

/**
 * The one way this suite speaks HTTP to a hub. Authentication, when the API requires it, is added here: one line in
 * `headers()`.
 */
export const createApi = (options: { baseUrl: () => string; ledger: Ledger; token?: string }) => {
  const headers = (body: boolean): Record<string, string> => ({
    accept: "application/json",
    ...(body ? { "content-type": "application/json" } : {}),
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
  });

  const call = async <T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    opts: { timeoutMs?: number; baseUrl?: string } = {},
  ): Promise<Answer<T>> => {
    const started = performance.now();
    try {
      const r = await fetch(`${opts.baseUrl ?? options.baseUrl()}${path}`, {
        method,
        headers: headers(body !== undefined),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
      });
      const text = await r.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON (metrics): keep the text
      }
      return { status: r.status, body: parsed as T, ms: performance.now() - started };
    } catch (error) {
      return { status: 0, body: undefined as T, ms: performance.now() - started, error: String(error) };
    }
  };

  const api = {
    call,
    /** Submit to the workload's tenant; a 201 or 200 goes into the ledger. */
    async submit(w: WorkloadInput, baseUrl?: string): Promise<Answer<WorkloadView>> {
      const tenant = w.metadata.tenant ?? "default";
      const a = await call<WorkloadView>("POST", `/api/v1/tenants/${tenant}/workloads`, w, baseUrl ? { baseUrl } : {});
      if (a.status === 200 || a.status === 201) {
        options.ledger.record({
          tenant,
          name: w.metadata.name,
          uid: a.body.metadata.uid,
          type: w.spec.type,
          acceptedAt: Date.now(),
        });
      }
      return a;
    },
    workload: (tenant: string, name: string, baseUrl?: string) =>
      call<WorkloadView>("GET", `/api/v1/tenants/${tenant}/workloads/${name}`, undefined, baseUrl ? { baseUrl } : {}),
    events: (tenant: string, name: string) =>
      call<{ items: { reason: string; cluster: string | null; message: string; at: string }[] }>(
        "GET",
        `/api/v1/tenants/${tenant}/workloads/${name}/events`,
      ),
    /** Every cluster, following the pages. */
    async clusters(baseUrl?: string): Promise<Answer<{ items: ClusterView[] }>> {
      const items: ClusterView[] = [];
      let next: string | undefined;
      let ms = 0;
      for (;;) {
        const q = `/api/v1/clusters?limit=1000&view=summary${next ? `&continue=${encodeURIComponent(next)}` : ""}`;
        const a = await call<{ items: ClusterView[]; metadata?: { continue?: string } }>(
          "GET",
          q,
          undefined,
          baseUrl ? { baseUrl } : {},
        );
        ms += a.ms;
        if (a.status !== 200) return a;
        items.push(...a.body.items);
        next = a.body.metadata?.continue;
        if (!next) return { status: 200, body: { items }, ms };
      }
    },
    register: (description: Record<string, unknown>, baseUrl?: string) =>
      call("POST", "/api/v1/clusters", description, baseUrl ? { baseUrl } : {}),
    readyz: (baseUrl?: string) =>
      call<{ status: string; leader?: boolean }>("GET", "/readyz", undefined, {
        timeoutMs: 5_000,
        ...(baseUrl ? { baseUrl } : {}),
      }),
    metrics: (baseUrl?: string) => call<string>("GET", "/metrics", undefined, baseUrl ? { baseUrl } : {}),
  };
  return api;
};
export type Api = ReturnType<typeof createApi>;

/** Sum a Prometheus counter's samples whose labels include all of `labels`. */
export const counter = (metricsText: string, name: string, labels: Record<string, string> = {}): number => {
  let total = 0;
  for (const line of metricsText.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) total += value;
  }
  return total;
};
