import { readFileSync } from "node:fs";
import type { Env, Hono } from "hono";

/** The console's files, read once at start: a page, its stylesheet and its ES modules (no build step). */
const FILES: Record<string, string> = {
  "dashboard.css": "text/css; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "api.js": "text/javascript; charset=utf-8",
  "dom.js": "text/javascript; charset=utf-8",
  "explain.js": "text/javascript; charset=utf-8",
  "format.js": "text/javascript; charset=utf-8",
  "views.js": "text/javascript; charset=utf-8",
};

const read = (name: string) => readFileSync(new URL(`./${name}`, import.meta.url), "utf8");

/**
 * The page may run only its own scripts and talk only to this hub: API data can never become markup or script, and
 * a token in sessionStorage cannot be sent elsewhere. No referrer leaves the page.
 */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  // Served from the package with the hub: a new hub version must not run with an old cached script.
  "cache-control": "no-cache",
};

/** Where the console's assets live; these paths are public (they hold no data), like the page at `/`. */
export const DASHBOARD_PREFIX = "/dashboard/";

/** Serve the console: `/` is the page, `/dashboard/<file>` its assets. */
export const serveDashboard = <E extends Env>(app: Hono<E>) => {
  const page = read("index.html");
  const assets = new Map(Object.entries(FILES).map(([name, type]) => [name, { body: read(name), type }]));
  app.get("/", (c) => c.html(page, 200, SECURITY_HEADERS));
  app.get(`${DASHBOARD_PREFIX}:file`, (c) => {
    const asset = assets.get(c.req.param("file"));
    if (!asset) return c.notFound();
    return c.body(asset.body, 200, { ...SECURITY_HEADERS, "content-type": asset.type });
  });
};
