import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { parse as parseYaml } from "yaml";
import {
  apiVersionOf,
  type Change,
  CORE_RESOURCES,
  FakeStore,
  matchesFields,
  matchesLabels,
  type Obj,
  type Resource,
  resourceId,
} from "./fake-store.ts";
import { invalidStatus, updateCauses } from "./fake-validation.ts";

/**
 * A local HTTP server that answers like the Kubernetes API for what the Gantry driver uses:
 * discovery, paged lists, watches (resourceVersion, bookmarks, 410 Gone), get, create, update
 * with optimistic concurrency, server-side apply and delete, the update validation of immutable
 * fields (422 Invalid with `details.causes`, see fake-validation.ts), Foreground deletion (the object
 * stays with a deletionTimestamp until its dependents would be gone) and the pod proxy
 * (`/api/v1/namespaces/{ns}/pods/{name}:{port}/proxy/...`, forwarded to the pod's `status.podIP`).
 * Response shapes follow the real API (List kinds, Status objects, watch event lines).
 * Simplifications, on purpose: server-side apply merges the applied object over the stored one (maps
 * merge, lists replace) without per-field ownership; there is no garbage collector (dependents are
 * not deleted, Foreground deletion ends after `foregroundDeletionMs`); selectors are equality-based.
 */
export interface FakeApiServer {
  url: string;
  store: FakeStore;
  /** Every request, for asserting how the driver talked to the API. */
  requests: { method: string; path: string; query: URLSearchParams; contentType: string; body: string }[];
  kubeConfig(): KubeConfig;
  kubeconfigYaml(): string;
  /** End every open watch (as an API server restart or a load balancer timeout does). */
  dropWatches(): void;
  /** How long a Foreground deletion keeps the object (with its deletionTimestamp) from now on. */
  setForegroundDeletionMs(ms: number): void;
  /** End every Foreground deletion still under way, as the garbage collector would once dependents are gone. */
  finishDeletions(): void;
  close(): Promise<void>;
}

export interface FakeApiServerOptions {
  /** Extra served resources, e.g. JOBSET_RESOURCE to pretend the JobSet CRD is installed. */
  extraResources?: Resource[];
  /** Changes kept for watches before older resourceVersions answer 410. Default 10,000. */
  historyLimit?: number;
  /** How often open watches get a BOOKMARK when asked for. Default 1000 ms. */
  bookmarkIntervalMs?: number;
  /** Keep a log of requests (off for the benchmark). Default true. */
  logRequests?: boolean;
  /** How long a Foreground deletion keeps the object before it is gone. Default 0 (gone on the next tick). */
  foregroundDeletionMs?: number;
}

const status = (code: number, reason: string, message: string) => ({
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message,
  reason,
  code,
});

const send = (res: ServerResponse, code: number, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
};

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
};

/** `/api/v1/namespaces/{ns}/pods/[https:]{name}[:{port}]/proxy/{path}`. */
const PROXY = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/(?:(https?):)?([^/:]+)(?::(\d+))?\/proxy\/?(.*)$/;

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Apply semantics, simplified: maps merge recursively, everything else (lists included) is replaced. */
const merge = (base: unknown, patch: unknown): unknown => {
  if (!isMap(base) || !isMap(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = merge(base[k], v);
  return out;
};

interface Route {
  resource: Resource;
  namespace: string | undefined;
  name: string | undefined;
}

/** Start the fake API server on a free port on 127.0.0.1. */
export const startFakeApiServer = async (options: FakeApiServerOptions = {}): Promise<FakeApiServer> => {
  const resources = [...CORE_RESOURCES, ...(options.extraResources ?? [])];
  const store = new FakeStore(resources, options.historyLimit ?? 10_000);
  const requests: FakeApiServer["requests"] = [];
  const watches = new Set<ServerResponse>();
  const bookmarkEvery = options.bookmarkIntervalMs ?? 1000;

  const route = (segments: string[]): Route | "discovery" | undefined => {
    // /api/v1/... or /apis/{group}/{version}/...
    let group = "";
    let version: string | undefined;
    let rest: string[];
    if (segments[0] === "api") {
      version = segments[1];
      rest = segments.slice(2);
    } else if (segments[0] === "apis") {
      group = segments[1] ?? "";
      version = segments[2];
      rest = segments.slice(3);
    } else return undefined;
    const served = resources.filter((r) => r.group === group && r.version === version);
    if (served.length === 0) return undefined;
    if (rest.length === 0) return "discovery";
    let namespace: string | undefined;
    if (rest[0] === "namespaces" && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const resource = served.find((r) => r.plural === rest[0]);
    if (!resource || rest.length > 2) return undefined;
    return { resource, namespace, name: rest[1] };
  };

  const discovery = (group: string, version: string) => ({
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group ? `${group}/${version}` : version,
    resources: resources
      .filter((r) => r.group === group && r.version === version)
      .map((r) => ({
        name: r.plural,
        singularName: r.kind.toLowerCase(),
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
      })),
  });

  const list = (res: ServerResponse, r: Route, query: URLSearchParams): void => {
    const id = resourceId(r.resource);
    const labels = query.get("labelSelector");
    const fields = query.get("fieldSelector");
    const all = store
      .list(id, r.namespace)
      .filter((o) => matchesLabels(o.metadata.labels, labels) && matchesFields(o, fields));
    const limit = Number(query.get("limit") ?? "0");
    const after = query.get("continue");
    let start = 0;
    if (after) {
      const last = Buffer.from(after, "base64url").toString("utf8");
      // Keys are sorted: binary search for the first one after the token.
      let lo = 0;
      let hi = all.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const o = all[mid];
        if (o && `${o.metadata.namespace ?? ""}/${o.metadata.name}` <= last) lo = mid + 1;
        else hi = mid;
      }
      start = lo;
      if (start < 0) start = all.length;
    }
    const page = limit > 0 ? all.slice(start, start + limit) : all.slice(start);
    const lastItem = page[page.length - 1];
    const more = limit > 0 && start + limit < all.length && lastItem;
    send(res, 200, {
      kind: `${r.resource.kind}List`,
      apiVersion: apiVersionOf(r.resource),
      metadata: {
        resourceVersion: String(store.rv),
        ...(more
          ? {
              continue: Buffer.from(`${lastItem.metadata.namespace ?? ""}/${lastItem.metadata.name}`).toString(
                "base64url",
              ),
            }
          : {}),
      },
      items: page.map((o) => ({ apiVersion: apiVersionOf(r.resource), kind: r.resource.kind, ...o })),
    });
  };

  const watch = (req: IncomingMessage, res: ServerResponse, r: Route, query: URLSearchParams): void => {
    const id = resourceId(r.resource);
    const from = Number(query.get("resourceVersion") || store.rv);
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    const write = (type: string, object: unknown) => {
      if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const backlog = store.since(from);
    if (!backlog) {
      // What a real API server sends for a compacted resourceVersion: HTTP 200, then an ERROR event.
      write("ERROR", status(410, "Expired", `too old resource version: ${from} (${store.minRv})`));
      res.end();
      return;
    }
    const labels = query.get("labelSelector");
    const fields = query.get("fieldSelector");
    const relevant = (c: Change) =>
      c.resource === id &&
      (r.namespace === undefined || c.object.metadata.namespace === r.namespace) &&
      matchesLabels(c.object.metadata.labels, labels) &&
      matchesFields(c.object, fields);
    const emit = (c: Change) => {
      if (relevant(c)) write(c.type, { apiVersion: apiVersionOf(r.resource), kind: r.resource.kind, ...c.object });
    };
    for (const c of backlog) emit(c);
    const unsubscribe = store.subscribe(emit);
    const bookmarks =
      query.get("allowWatchBookmarks") === "true"
        ? setInterval(
            () =>
              write("BOOKMARK", {
                kind: r.resource.kind,
                apiVersion: apiVersionOf(r.resource),
                metadata: { resourceVersion: String(store.rv) },
              }),
            bookmarkEvery,
          )
        : undefined;
    const timeout = Number(query.get("timeoutSeconds") ?? "0");
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    watches.add(res);
    const cleanup = () => {
      unsubscribe();
      if (bookmarks) clearInterval(bookmarks);
      if (timer) clearTimeout(timer);
      watches.delete(res);
    };
    res.on("close", cleanup);
    req.on("close", cleanup);
  };

  const namespaceMissing = (r: Route): boolean =>
    r.resource.namespaced && r.namespace !== undefined && !store.get("v1/namespaces", undefined, r.namespace);

  let foregroundMs = options.foregroundDeletionMs ?? 0;
  /** Foreground deletions under way: finishing one removes the object for good. */
  const deleting = new Map<string, { timer: NodeJS.Timeout; finish: () => void }>();

  /** DELETE with DeleteOptions (query or body): preconditions, and Foreground keeping the object a while. */
  const remove = (res: ServerResponse, r: Route, query: URLSearchParams, body: string, what: string) => {
    const id = resourceId(r.resource);
    const name = r.name ?? "";
    const existing = store.get(id, r.namespace, name);
    if (!existing) return send(res, 404, status(404, "NotFound", `${what} "${name}" not found`));
    let opts: { propagationPolicy?: string; preconditions?: { uid?: string } } = {};
    if (body.trim()) opts = JSON.parse(body) as typeof opts;
    const policy = opts.propagationPolicy ?? query.get("propagationPolicy") ?? "Background";
    const uid = opts.preconditions?.uid;
    if (uid !== undefined && uid !== existing.metadata.uid) {
      return send(
        res,
        409,
        status(
          409,
          "Conflict",
          `Operation cannot be fulfilled on ${what} "${name}": Precondition failed: UID in precondition: ${uid}, UID in object meta: ${existing.metadata.uid ?? ""}`,
        ),
      );
    }
    if (policy !== "Foreground") {
      store.delete(id, r.namespace, name);
      return send(res, 200, status(200, "", "deleted"));
    }
    const key = `${id}|${r.namespace ?? ""}|${name}`;
    if (!existing.metadata.deletionTimestamp) {
      const marked = structuredClone(existing);
      marked.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      marked.metadata.finalizers = [
        ...((existing.metadata.finalizers as string[] | undefined) ?? []),
        "foregroundDeletion",
      ];
      store.put(id, marked);
      const finish = () => {
        clearTimeout(entry.timer);
        deleting.delete(key);
        const now = store.get(id, r.namespace, name);
        if (now?.metadata.uid === marked.metadata.uid) store.delete(id, r.namespace, name);
      };
      const entry = { timer: setTimeout(finish, foregroundMs), finish };
      deleting.set(key, entry);
    }
    const current = store.get(id, r.namespace, name);
    return send(res, 200, { apiVersion: apiVersionOf(r.resource), kind: r.resource.kind, ...current });
  };

  /** The API server's pod proxy: forward to the pod's IP and port, answer with what the pod answered. */
  const proxy = (req: IncomingMessage, res: ServerResponse, m: RegExpExecArray, search: string) => {
    const [, namespace = "", scheme, name = "", port, rest = ""] = m;
    const pod = store.get("v1/pods", namespace, name);
    if (!pod) return send(res, 404, status(404, "NotFound", `pods "${name}" not found`));
    const podIP = (pod.status as { podIP?: string } | undefined)?.podIP;
    if (!podIP) return send(res, 400, status(400, "BadRequest", `pod ${name} does not have a host assigned`));
    if (scheme === "https") {
      return send(res, 503, status(503, "ServiceUnavailable", "the fake API server proxies plain HTTP only"));
    }
    const upstream = httpRequest(
      {
        host: podIP,
        port: Number(port ?? "80"),
        path: `/${rest}${search}`,
        method: req.method,
        headers: { accept: req.headers.accept ?? "*/*" },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, { "content-type": up.headers["content-type"] ?? "text/plain" });
        up.pipe(res);
      },
    );
    upstream.on("error", (e) =>
      send(
        res,
        503,
        status(
          503,
          "ServiceUnavailable",
          `error trying to reach service: dial tcp ${podIP}:${port ?? "80"}: ${e.message}`,
        ),
      ),
    );
    upstream.end();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://fake");
    const method = req.method ?? "GET";
    const contentType = (req.headers["content-type"] ?? "").split(";")[0] ?? "";
    const logged = { method, path: url.pathname, query: url.searchParams, contentType, body: "" };
    if (options.logRequests !== false) requests.push(logged);
    const proxied = PROXY.exec(url.pathname);
    if (proxied) return proxy(req, res, proxied, url.search);
    const segments = url.pathname.split("/").filter(Boolean);
    const r = route(segments);
    if (r === undefined)
      return send(res, 404, status(404, "NotFound", "the server could not find the requested resource"));
    if (r === "discovery") {
      const [group, version] = segments[0] === "api" ? ["", segments[1] ?? ""] : [segments[1] ?? "", segments[2] ?? ""];
      return send(res, 200, discovery(group, version));
    }
    const id = resourceId(r.resource);
    const what = `${r.resource.plural}${r.resource.group ? `.${r.resource.group}` : ""}`;
    const notFound = () => send(res, 404, status(404, "NotFound", `${what} "${r.name}" not found`));

    if (method === "GET" && !r.name) {
      return url.searchParams.get("watch") === "1" || url.searchParams.get("watch") === "true"
        ? watch(req, res, r, url.searchParams)
        : list(res, r, url.searchParams);
    }
    if (method === "GET" && r.name) {
      const o = store.get(id, r.namespace, r.name);
      return o ? send(res, 200, { apiVersion: apiVersionOf(r.resource), kind: r.resource.kind, ...o }) : notFound();
    }
    const body = await readBody(req);
    logged.body = body;
    if (method === "DELETE" && r.name) return remove(res, r, url.searchParams, body, what);
    if (method === "POST" && !r.name) {
      const o = JSON.parse(body) as Obj;
      if (namespaceMissing(r)) return send(res, 404, status(404, "NotFound", `namespaces "${r.namespace}" not found`));
      if (r.namespace) o.metadata.namespace = r.namespace;
      if (store.get(id, r.namespace, o.metadata.name)) {
        return send(res, 409, status(409, "AlreadyExists", `${what} "${o.metadata.name}" already exists`));
      }
      return send(res, 201, store.put(id, o));
    }
    if (method === "PUT" && r.name) {
      const o = JSON.parse(body) as Obj;
      const existing = store.get(id, r.namespace, r.name);
      if (!existing) return notFound();
      const rv = o.metadata.resourceVersion;
      if (rv !== undefined && rv !== existing.metadata.resourceVersion) {
        return send(
          res,
          409,
          status(
            409,
            "Conflict",
            `Operation cannot be fulfilled on ${what} "${r.name}": the object has been modified; please apply your changes to the latest version and try again`,
          ),
        );
      }
      if (r.namespace) o.metadata.namespace = r.namespace;
      const causes = updateCauses(id, existing, o);
      if (causes.length > 0) return send(res, 422, invalidStatus(r.resource.kind, r.resource.group, r.name, causes));
      return send(res, 200, store.put(id, o));
    }
    if (method === "PATCH" && r.name) {
      if (contentType !== "application/apply-patch+yaml") {
        return send(
          res,
          415,
          status(415, "UnsupportedMediaType", `the fake server only implements server-side apply, not ${contentType}`),
        );
      }
      const manager = url.searchParams.get("fieldManager");
      if (!manager)
        return send(
          res,
          422,
          status(
            422,
            "Invalid",
            'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
          ),
        );
      if (namespaceMissing(r)) return send(res, 404, status(404, "NotFound", `namespaces "${r.namespace}" not found`));
      const applied = parseYaml(body) as Obj;
      const existing = store.get(id, r.namespace, r.name);
      const merged = merge(existing ?? {}, applied) as Obj;
      merged.metadata.name = r.name;
      if (r.namespace) merged.metadata.namespace = r.namespace;
      merged.metadata.managedFields = [{ manager, operation: "Apply", apiVersion: apiVersionOf(r.resource) }];
      if (existing) {
        const causes = updateCauses(id, existing, merged);
        if (causes.length > 0) return send(res, 422, invalidStatus(r.resource.kind, r.resource.group, r.name, causes));
        const { resourceVersion: _a, ...before } = existing.metadata;
        const { resourceVersion: _b, ...after } = merged.metadata;
        // An apply that changes nothing does not write (no new resourceVersion), as on a real server.
        if (JSON.stringify({ ...existing, metadata: before }) === JSON.stringify({ ...merged, metadata: after })) {
          return send(res, 200, existing);
        }
      }
      return send(res, existing ? 200 : 201, store.put(id, merged));
    }
    return send(res, 405, status(405, "MethodNotAllowed", `${method} is not supported here`));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) =>
      send(res, 500, status(500, "InternalError", e instanceof Error ? e.message : String(e))),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  const kubeconfigYaml = () =>
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: fake",
      `  cluster: { server: "${url}", insecure-skip-tls-verify: true }`,
      "users:",
      "- name: gantry-test",
      "  user: { token: fake-token }",
      "contexts:",
      "- name: fake",
      "  context: { cluster: fake, user: gantry-test }",
      "current-context: fake",
      "",
    ].join("\n");

  return {
    url,
    store,
    requests,
    kubeconfigYaml,
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromString(kubeconfigYaml());
      return kc;
    },
    dropWatches() {
      for (const w of watches) w.end();
    },
    setForegroundDeletionMs(ms) {
      foregroundMs = ms;
    },
    finishDeletions() {
      for (const d of [...deleting.values()]) d.finish();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const d of deleting.values()) clearTimeout(d.timer);
        for (const w of watches) w.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
