import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { serveDashboard } from "./serve.ts";

const app = new Hono();
serveDashboard(app);

describe("the console's files", () => {
  it("serves the page with a CSP that allows only its own scripts and this hub", async () => {
    const r = await app.request("/");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/html");
    const csp = r.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(r.headers.get("referrer-policy")).toBe("no-referrer");
    const page = await r.text();
    // No inline script: everything runs from the listed modules.
    expect(page).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(page).toContain('src="/dashboard/app.js"');
  });

  it("serves each module the page imports as JavaScript", async () => {
    const seen = new Set<string>();
    const queue = ["app.js"];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const r = await app.request(`/dashboard/${file}`);
      expect(r.status, file).toBe(200);
      expect(r.headers.get("content-type")).toContain("text/javascript");
      for (const m of (await r.text()).matchAll(/from "\.\/([\w-]+\.js)"/g)) queue.push(m[1]!);
    }
    expect([...seen].sort()).toEqual(["api.js", "app.js", "dom.js", "explain.js", "format.js", "views.js"]);
    expect((await app.request("/dashboard/dashboard.css")).headers.get("content-type")).toContain("text/css");
  });

  it("serves nothing else from its folder", async () => {
    for (const path of ["/dashboard/serve.ts", "/dashboard/serve.test.ts", "/dashboard/..%2Fapp.ts", "/dashboard/"]) {
      expect((await app.request(path)).status, path).toBe(404);
    }
  });
});
