// DOM building without innerHTML: every piece of API data becomes a text node, so nothing it holds is markup.

/**
 * Make an element. `attrs` values go through setAttribute (or the property for `hidden`, `disabled`); `on*` keys
 * attach listeners; children may be strings (text nodes), nodes, arrays, or null/undefined/false (skipped).
 */
export const h = (tag, attrs, ...children) => {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "hidden" || key === "disabled") el[key] = Boolean(value);
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
};

const append = (el, children) => {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
};

/** Replace an element's contents. */
export const put = (el, ...children) => {
  el.replaceChildren();
  append(el, children);
};

/**
 * A table from column definitions: `{ title, cell(row) → child, num?: boolean }`, with `rowAttrs(row)` for a row's
 * own attributes. An empty list shows `empty` instead.
 */
export const table = (columns, rows, { empty = "none", rowAttrs } = {}) => {
  if (rows.length === 0) return h("p", { class: "muted" }, empty);
  return h(
    "table",
    null,
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        columns.map((c) => h("th", { class: c.num ? "num" : undefined }, c.title)),
      ),
    ),
    h(
      "tbody",
      null,
      rows.map((row) =>
        h(
          "tr",
          rowAttrs?.(row),
          columns.map((c) => h("td", { class: c.num ? "num" : c.class?.(row) }, c.cell(row))),
        ),
      ),
    ),
  );
};

/**
 * A horizontal bar for a fraction (0–1). Limits (`limit: true`) tint it when close to or over; shares do not. The
 * width is set through the CSSOM: the page's CSP refuses inline style attributes.
 */
export const bar = (fraction, { limit = false, warnAt = 0.9 } = {}) => {
  const f = Number.isFinite(fraction) ? Math.max(0, fraction) : 0;
  const tint = !limit ? "bar" : f >= 1 ? "bar over" : f >= warnAt ? "bar warn" : "bar";
  const fill = h("i");
  fill.style.width = `${Math.min(100, f * 100).toFixed(1)}%`;
  return h("span", { class: tint, role: "presentation" }, fill);
};
