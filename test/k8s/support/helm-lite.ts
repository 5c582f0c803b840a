import { stringify } from "yaml";

/**
 * A renderer for the small subset of Helm templating that deploy/helm/gantry uses, so the chart can
 * be checked on machines without `helm`. Supported, and nothing else (anything else throws):
 *   {{ .Values.a.b }}, {{ .Release.Namespace }}, {{ .Release.Name }}, {{ .Chart.AppVersion }},
 *   pipes `| quote` and `| nindent N`, `toYaml X | nindent N`,
 *   {{ if .Values.x }}, {{ if eq .Values.x "literal" }}, {{ end }}, and `{{-` / `-}}` whitespace chomping.
 */
export class UnsupportedTemplate extends Error {
  readonly code = "unsupported_template";
}

export interface HelmContext {
  Values: Record<string, unknown>;
  Release: { Namespace: string; Name: string };
  Chart: { AppVersion: string; Name: string };
}

const lookup = (ctx: HelmContext, path: string): unknown => {
  if (!path.startsWith(".")) throw new UnsupportedTemplate(`not a value reference: ${path}`);
  let cur: unknown = ctx;
  for (const part of path.slice(1).split(".")) {
    cur = typeof cur === "object" && cur !== null ? (cur as Record<string, unknown>)[part] : undefined;
  }
  return cur;
};

const scalar = (v: unknown): string =>
  v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);

const evaluate = (ctx: HelmContext, expr: string): string => {
  const [head = "", ...pipes] = expr.split("|").map((s) => s.trim());
  let value: unknown;
  const words = head.split(/\s+/);
  if (words[0] === "toYaml" && words.length === 2) value = stringify(lookup(ctx, words[1] ?? "")).trimEnd();
  else if (words.length === 1) value = lookup(ctx, head);
  else throw new UnsupportedTemplate(`unsupported expression: ${head}`);
  let text = scalar(value);
  for (const pipe of pipes) {
    const [fn, arg] = pipe.split(/\s+/);
    if (fn === "quote") text = JSON.stringify(text);
    else if (fn === "nindent" && arg && /^\d+$/.test(arg)) {
      const pad = " ".repeat(Number(arg));
      text = `\n${text
        .split("\n")
        .map((l) => (l ? pad + l : l))
        .join("\n")}`;
    } else throw new UnsupportedTemplate(`unsupported pipe: ${pipe}`);
  }
  return text;
};

const condition = (ctx: HelmContext, cond: string): boolean => {
  const eq = /^eq\s+(\.\S+)\s+"([^"]*)"$/.exec(cond);
  if (eq) return scalar(lookup(ctx, eq[1] ?? "")) === eq[2];
  if (/^\.\S+$/.test(cond)) {
    const v = lookup(ctx, cond);
    return v !== undefined && v !== null && v !== false && v !== "" && v !== 0;
  }
  throw new UnsupportedTemplate(`unsupported condition: ${cond}`);
};

/** Render one template file. */
export const renderTemplate = (source: string, ctx: HelmContext): string => {
  const out: string[] = [];
  const active: boolean[] = [];
  const on = () => active.every(Boolean);
  const re = /\{\{(-?)\s*(.*?)\s*(-?)\}\}/g;
  let last = 0;
  let trimNext = false;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    let text = source.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, "");
    if (m[1] === "-") text = text.replace(/\s+$/, "");
    if (on()) out.push(text);
    trimNext = m[3] === "-";
    last = m.index + m[0].length;
    const action = m[2] ?? "";
    if (action.startsWith("if ")) active.push(condition(ctx, action.slice(3).trim()));
    else if (action === "end") {
      if (active.length === 0) throw new UnsupportedTemplate("end without if");
      active.pop();
    } else if (on()) out.push(evaluate(ctx, action));
  }
  let rest = source.slice(last);
  if (trimNext) rest = rest.replace(/^\s+/, "");
  out.push(rest);
  if (active.length > 0) throw new UnsupportedTemplate("if without end");
  return out.join("");
};
