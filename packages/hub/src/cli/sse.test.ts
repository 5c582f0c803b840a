import { describe, expect, it } from "vitest";
import { parseSse } from "./sse.ts";

async function* chunks(...parts: string[]) {
  for (const p of parts) yield p;
}
const all = async (parts: string[]) => {
  const out = [];
  for await (const e of parseSse(chunks(...parts))) out.push(e);
  return out;
};

describe("parseSse", () => {
  it("reads events split across chunks, with ids and multi-line data", async () => {
    expect(
      await all(['event: ADDED\nid: 4\ndata: {"a"', ":1}\n\n: comment\nevent: BOOKMARK\r\ndata: x\ndata: y\n\n"]),
    ).toEqual([
      { event: "ADDED", id: "4", data: '{"a":1}' },
      { event: "BOOKMARK", id: undefined, data: "x\ny" },
    ]);
  });

  it("drops an event the stream cut off before its blank line", async () => {
    expect(await all(["event: ADDED\ndata: 1\n"])).toEqual([]);
  });
});
