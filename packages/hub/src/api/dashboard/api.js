// The console's only way to the hub: the public API under /api/v1 with a bearer token from this tab's sessionStorage.

const TOKEN_KEY = "gantry-token";

/**
 * Take a token handed over in the URL's fragment (`#token=…`, which browsers never send to servers) into
 * sessionStorage, and drop it from the address bar and history at once.
 */
export const adoptTokenFromFragment = () => {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token.trim());
  history.replaceState(null, "", location.pathname + location.search);
};
export const storedToken = () => sessionStorage.getItem(TOKEN_KEY);
export const storeToken = (token) => sessionStorage.setItem(TOKEN_KEY, token.trim());
export const forgetToken = () => sessionStorage.removeItem(TOKEN_KEY);

/** An API failure: `status` 0 means the hub did not answer at all. */
export class ApiError extends Error {
  constructor(status, code, detail, errors = []) {
    super(detail);
    this.status = status;
    this.code = code;
    this.errors = errors;
  }
}

/**
 * Whether the hub is reachable and answering: `down` is `{ since, why }` from the first failure until the next answer
 * that is not a server error. `onChange` hears every change.
 */
export const createLink = (onChange) => {
  let down = null;
  return {
    get down() {
      return down;
    },
    ok() {
      if (down === null) return;
      down = null;
      onChange(null);
    },
    fail(why) {
      down = { since: down?.since ?? new Date(), why };
      onChange(down);
    },
  };
};

const problemOf = async (response) => {
  try {
    const p = await response.json();
    return new ApiError(response.status, p.code ?? "error", p.detail ?? response.statusText, p.errors ?? []);
  } catch {
    return new ApiError(response.status, "error", response.statusText || `HTTP ${response.status}`);
  }
};

/** The client: `get`, `send` and `watch`, each recording reachability on `link` and calling `onUnauthorized` on 401. */
export const createClient = ({ link, onUnauthorized }) => {
  const open = async (path, init = {}) => {
    const headers = { accept: "application/json", ...(init.headers ?? {}) };
    const token = storedToken();
    if (token) headers.authorization = `Bearer ${token}`;
    let response;
    try {
      response = await fetch(`/api/v1${path}`, { ...init, headers, cache: "no-store", credentials: "omit" });
    } catch {
      link.fail("unreachable");
      throw new ApiError(0, "unreachable", "the hub did not answer");
    }
    if (response.status >= 500) {
      const problem = await problemOf(response);
      link.fail(`answering HTTP ${response.status}${problem.code !== "error" ? ` (${problem.code})` : ""}`);
      throw problem;
    }
    link.ok();
    if (response.status === 401) {
      const problem = await problemOf(response);
      onUnauthorized(problem.message);
      throw problem;
    }
    if (!response.ok) throw await problemOf(response);
    return response;
  };

  const read = async (response) => (response.status === 204 ? null : response.json());

  return {
    get: async (path) => read(await open(path)),
    /** Send a body (`type` its media type: JSON or YAML, as the API accepts both). */
    send: async (method, path, body, type = "application/json") =>
      read(await open(path, { method, headers: { "content-type": type }, body })),
    /**
     * Follow a Server-Sent Events stream (the API's `watch=true`) over fetch, so the token travels in a header and
     * never in the URL. Calls `onEvent({ event, id, data })` per event; resolves when the hub ends the stream and
     * throws when the connection breaks.
     */
    async watch(path, onEvent, signal) {
      const response = await open(path, { headers: { accept: "text/event-stream" }, signal });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += value;
          let end = buffer.search(/\r?\n\r?\n/);
          while (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
            const event = parseEvent(block);
            if (event) onEvent(event);
            end = buffer.search(/\r?\n\r?\n/);
          }
        }
      } catch (error) {
        if (signal?.aborted) return;
        link.fail("unreachable");
        throw new ApiError(0, "unreachable", `the watch broke: ${error instanceof Error ? error.message : error}`);
      }
    },
  };
};

/** One SSE block's fields (`event`, `id`, `data` joined by newlines); comments and empty blocks are null. */
const parseEvent = (block) => {
  const event = { event: "message", id: undefined, data: [] };
  for (const line of block.split(/\r?\n/)) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event.event = value;
    else if (field === "id") event.id = value;
    else if (field === "data") event.data.push(value);
  }
  if (event.data.length === 0) return null;
  return { ...event, data: event.data.join("\n") };
};
