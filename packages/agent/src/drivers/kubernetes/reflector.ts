import { isDriverError, KubernetesDriverError } from "./errors.ts";
import type { KubeHttp } from "./http.ts";
import type { DriverLogger } from "./options.ts";
import { ApiStatus, BookmarkObject, ListEnvelope, WatchEvent } from "./schemas.ts";

/** Where a reflector puts what it sees. Items are raw JSON: the sink parses and keeps only what it needs. */
export interface ReflectorSink {
  /** A full list starts: everything upserted until `endSync` is the complete set. */
  beginSync(): void;
  upsert(item: unknown): void;
  remove(item: unknown): void;
  /** The full list ended: forget whatever was not upserted since `beginSync`. */
  endSync(): void;
}

export interface ReflectorOptions {
  http: KubeHttp;
  /** Collection path, e.g. `/api/v1/nodes` or `/api/v1/pods`. */
  path: string;
  /** Only objects with these labels (`key=value`), on the list and on the watch. */
  labelSelector?: string;
  sink: ReflectorSink;
  logger: DriverLogger;
  /** Items per list page; paging keeps a 50,000-pod list from arriving as one huge string. */
  pageSize: number;
  /** Server-side timeout of each watch; the reflector re-watches from the last resourceVersion. */
  watchTimeoutSeconds: number;
  /** Wait before retrying after a failed list or broken watch. */
  retryDelayMs: number;
  onChange: () => void;
}

/** Counters a test or the benchmark can read to see what the reflector did. */
export interface ReflectorStats {
  lists: number;
  watches: number;
  gone: number;
  events: number;
  bookmarks: number;
}

export interface Reflector {
  /** List once (resolves when the first inventory is known), then keep watching in the background. */
  start(): Promise<void>;
  close(): Promise<void>;
  readonly stats: ReflectorStats;
  resourceVersion(): string;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

const goneError = (message: string) => new KubernetesDriverError("k8s_gone", message, 410);

/**
 * List+watch one collection like client-go's reflector: list in pages, watch from the list's
 * resourceVersion with bookmarks, resume from the last seen version after a watch ends, and relist
 * from scratch when the server answers 410 Gone (our version was compacted away).
 */
export const createReflector = (options: ReflectorOptions): Reflector => {
  const { http, path, sink, logger } = options;
  const controller = new AbortController();
  const stats: ReflectorStats = { lists: 0, watches: 0, gone: 0, events: 0, bookmarks: 0 };
  let resourceVersion = "";
  let loop: Promise<void> | undefined;

  const list = async (): Promise<void> => {
    stats.lists++;
    sink.beginSync();
    let cont: string | undefined;
    let rv = "";
    do {
      const page = ListEnvelope.parse(
        await http.request("GET", path, {
          query: { limit: options.pageSize, continue: cont, labelSelector: options.labelSelector },
          signal: controller.signal,
        }),
      );
      for (const item of page.items ?? []) sink.upsert(item);
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion ?? rv;
    } while (cont);
    sink.endSync();
    resourceVersion = rv;
    options.onChange();
  };

  const handle = (raw: unknown): void => {
    const event = WatchEvent.parse(raw);
    if (event.type === "ERROR") {
      const status = ApiStatus.safeParse(event.object);
      const code = status.success ? status.data.code : undefined;
      const message = status.success ? (status.data.message ?? "watch error") : "watch error";
      if (code === 410) throw goneError(message);
      throw new KubernetesDriverError("k8s_api_error", `watch ${path}: ${message}`, code);
    }
    const rv = BookmarkObject.safeParse(event.object);
    if (event.type === "BOOKMARK") {
      stats.bookmarks++;
      if (rv.success) resourceVersion = rv.data.metadata.resourceVersion;
      return;
    }
    stats.events++;
    if (event.type === "DELETED") sink.remove(event.object);
    else sink.upsert(event.object);
    if (rv.success) resourceVersion = rv.data.metadata.resourceVersion;
    options.onChange();
  };

  const watch = async (): Promise<void> => {
    stats.watches++;
    const query = new URLSearchParams({
      watch: "1",
      resourceVersion,
      allowWatchBookmarks: "true",
      timeoutSeconds: String(options.watchTimeoutSeconds),
      ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
    });
    await http.stream(`${path}?${query.toString()}`, handle, controller.signal);
  };

  const run = async (): Promise<void> => {
    let needList = false;
    while (!controller.signal.aborted) {
      try {
        if (needList) {
          await list();
          needList = false;
        }
        await watch();
      } catch (e) {
        if (controller.signal.aborted) return;
        if (isDriverError(e, "k8s_gone")) {
          // Our resourceVersion is older than the server keeps: the only safe move is a fresh list.
          stats.gone++;
          logger.info({ path, resourceVersion }, "watch expired (410 Gone), relisting");
          needList = true;
          continue;
        }
        logger.warn({ path, err: e instanceof Error ? e.message : String(e) }, "watch failed, retrying");
        await sleep(options.retryDelayMs, controller.signal);
      }
    }
  };

  return {
    stats,
    resourceVersion: () => resourceVersion,
    async start() {
      for (;;) {
        try {
          await list();
          break;
        } catch (e) {
          // A continue token can expire mid-list (410): start the list again. Anything else is the
          // caller's to see: `start()` must not hang on a cluster it cannot read.
          if (!isDriverError(e, "k8s_gone")) throw e;
          stats.gone++;
        }
      }
      loop = run();
    },
    async close() {
      controller.abort();
      await loop;
    },
  };
};
