import http from "node:http";
import https from "node:https";
import { codeForStatus, KubernetesDriverError, type StatusCause } from "./errors.ts";
import type { KubeConnection } from "./kubeconfig.ts";
import { ApiStatus } from "./schemas.ts";

/**
 * A thin HTTP client for the few Kubernetes endpoints the driver uses.
 *
 * Why not the generated API classes of @kubernetes/client-node: they deserialise every list item into
 * model objects, which at 50,000 pods is most of the memory budget. We keep the library for what it is
 * good at (exec plugins, auth providers; see kubeconfig.ts) and parse pages of raw JSON ourselves.
 */
export interface KubeHttp {
  /** Send one request; resolves with the parsed JSON body, throws a KubernetesDriverError on >= 400. */
  request(method: string, path: string, options?: RequestOptions): Promise<unknown>;
  /**
   * GET a non-JSON body (a pod's metrics through the API server's proxy); throws a KubernetesDriverError on
   * >= 400 and `k8s_bad_response` when the body exceeds `maxBytes`.
   */
  text(path: string, options: { signal?: AbortSignal; accept?: string; maxBytes: number }): Promise<string>;
  /** Open a watch stream; `onLine` gets each parsed JSON line. Resolves when the server closes it. */
  stream(path: string, onLine: (value: unknown) => void, signal: AbortSignal): Promise<void>;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

export const withQuery = (path: string, query: RequestOptions["query"]): string => {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const text = params.toString();
  return text ? `${path}${path.includes("?") ? "&" : "?"}${text}` : path;
};

interface Prepared {
  url: URL;
  options: https.RequestOptions;
}

/** Build a KubeHttp over a connection that is loaded on first use (loading may need an async import). */
export const createKubeHttp = (load: () => Promise<KubeConnection>): KubeHttp => {
  let connection: Promise<{ kc: KubeConnection; base: URL }> | undefined;
  const connect = () => {
    connection ??= load().then((kc) => {
      const cluster = kc.getCurrentCluster();
      if (!cluster) throw new KubernetesDriverError("k8s_no_cluster", "kubeconfig has no current cluster");
      return { kc, base: new URL(cluster.server) };
    });
    return connection;
  };
  // One agent for the driver's lifetime so connections are reused; headers (tokens may rotate) are
  // taken fresh from the KubeConfig on every request.
  let agent: http.Agent | undefined;

  const prepare = async (method: string, path: string, contentType?: string, accept?: string): Promise<Prepared> => {
    const { kc, base } = await connect();
    const options: https.RequestOptions = { method, headers: {} };
    await kc.applyToHTTPSOptions(options);
    if (!agent && options.agent instanceof http.Agent) agent = options.agent;
    const url = new URL(path, base);
    // applyToHTTPSOptions only ever sets a plain header object (Authorization, user headers).
    const headers: http.OutgoingHttpHeaders = { ...(options.headers as http.OutgoingHttpHeaders | undefined) };
    headers.accept = accept ?? "application/json";
    if (contentType) headers["content-type"] = contentType;
    return {
      url,
      options: {
        ...options,
        agent,
        method,
        headers,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
      },
    };
  };

  const send = (p: Prepared, body: string | undefined, signal?: AbortSignal): Promise<http.IncomingMessage> =>
    new Promise((resolve, reject) => {
      const mod = p.url.protocol === "https:" ? https : http;
      const req = mod.request({ ...p.options, signal }, resolve);
      req.on("error", reject);
      if (body !== undefined) req.write(body);
      req.end();
    });

  const readAll = async (res: http.IncomingMessage, maxBytes = Number.POSITIVE_INFINITY): Promise<string> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        res.destroy();
        throw new KubernetesDriverError(
          "k8s_bad_response",
          `response is larger than ${maxBytes} bytes`,
          res.statusCode,
        );
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString("utf8");
  };

  const fail = (method: string, path: string, status: number, text: string): KubernetesDriverError => {
    let message = text.slice(0, 300);
    let causes: StatusCause[] = [];
    try {
      const parsed = ApiStatus.safeParse(JSON.parse(text));
      if (parsed.success && parsed.data.message) message = parsed.data.message;
      if (parsed.success) causes = parsed.data.details?.causes ?? [];
    } catch {
      // Not JSON (a proxy's HTML page, say): keep the raw start of the body as the message.
    }
    return new KubernetesDriverError(codeForStatus(status), `${method} ${path}: ${status} ${message}`, status, {
      causes,
    });
  };

  return {
    async request(method, path, options = {}) {
      const fullPath = withQuery(path, options.query);
      const p = await prepare(method, fullPath, options.body === undefined ? undefined : options.contentType);
      const body = options.body === undefined ? undefined : JSON.stringify(options.body);
      // Node sends no chunked framing for DELETE bodies: without a length the server cannot tell where it ends.
      if (body !== undefined)
        (p.options.headers as http.OutgoingHttpHeaders)["content-length"] = Buffer.byteLength(body);
      const res = await send(p, body, options.signal);
      const text = await readAll(res);
      const status = res.statusCode ?? 0;
      if (status >= 400) throw fail(method, fullPath, status, text);
      if (text.length === 0) return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch (e) {
        throw new KubernetesDriverError("k8s_bad_response", `${method} ${fullPath}: response is not JSON`, status, {
          cause: e,
        });
      }
    },

    async text(path, options) {
      const p = await prepare("GET", path, undefined, options.accept ?? "text/plain");
      const res = await send(p, undefined, options.signal);
      const status = res.statusCode ?? 0;
      if (status >= 400) throw fail("GET", path, status, await readAll(res, 64 * 1024));
      return readAll(res, options.maxBytes);
    },

    async stream(path, onLine, signal) {
      const p = await prepare("GET", path);
      const res = await send(p, undefined, signal);
      const status = res.statusCode ?? 0;
      if (status >= 400) throw fail("GET", path, status, await readAll(res));
      // Watch responses are newline-delimited JSON; objects can span chunks, so buffer to the newline.
      let pending = "";
      try {
        for await (const chunk of res) {
          pending += (chunk as Buffer).toString("utf8");
          let nl = pending.indexOf("\n");
          while (nl >= 0) {
            const line = pending.slice(0, nl).trim();
            pending = pending.slice(nl + 1);
            if (line) onLine(JSON.parse(line) as unknown);
            nl = pending.indexOf("\n");
          }
        }
      } catch (e) {
        if (signal.aborted) return;
        throw e;
      }
      if (pending.trim()) onLine(JSON.parse(pending) as unknown);
    },
  };
};
