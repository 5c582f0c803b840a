import { describe, expect, it } from "vitest";
import { latestPerKey, orderedPerKey } from "./queues.ts";

const tick = () => new Promise((r) => setImmediate(r));

describe("latestPerKey", () => {
  it("hands each key's newest item once, and refuses new keys past the bound", async () => {
    const seen: [string, number][] = [];
    const q = latestPerKey<number>({ handle: (k, v) => seen.push([k, v]), onError: () => undefined, maxKeys: 2 });
    expect(q.offer("a", 1)).toBe(true);
    expect(q.offer("a", 2)).toBe(true);
    expect(q.offer("b", 1)).toBe(true);
    expect(q.offer("c", 1)).toBe(false);
    await tick();
    expect(seen).toEqual([
      ["a", 2],
      ["b", 1],
    ]);
    expect(q.size).toBe(0);
  });

  it("keeps going when one item throws", async () => {
    const seen: string[] = [];
    const errors: string[] = [];
    const q = latestPerKey<string>({
      handle: (k) => {
        if (k === "bad") throw new Error("boom");
        seen.push(k);
      },
      onError: (k) => errors.push(k),
      maxKeys: 10,
    });
    q.offer("bad", "x");
    q.offer("good", "y");
    await tick();
    expect(errors).toEqual(["bad"]);
    expect(seen).toEqual(["good"]);
  });
});

describe("orderedPerKey", () => {
  it("handles one key's items in order, one at a time, and keys in parallel up to the limit", async () => {
    const log: string[] = [];
    let active = 0;
    let maxActive = 0;
    const q = orderedPerKey<number>({
      handle: async (k, v) => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 2));
        log.push(`${k}${v}`);
        active--;
      },
      onRetry: () => undefined,
      merge: (_a, b) => b,
      concurrency: 2,
      maxPerKey: 100,
      maxKeys: 100,
    });
    for (const k of ["a", "b", "c"]) for (const v of [1, 2, 3]) q.offer(k, v);
    await q.idle();
    for (const k of ["a", "b", "c"]) expect(log.filter((l) => l.startsWith(k))).toEqual([`${k}1`, `${k}2`, `${k}3`]);
    expect(maxActive).toBe(2);
  });

  it("retries a failed item at the head of its key until it succeeds, keeping order", async () => {
    const log: number[] = [];
    let failures = 2;
    const retries: number[] = [];
    const q = orderedPerKey<number>({
      handle: async (_k, v) => {
        if (v === 1 && failures-- > 0) throw new Error("database down");
        log.push(v);
      },
      onRetry: (_k, _e, attempt) => retries.push(attempt),
      merge: (_a, b) => b,
      concurrency: 4,
      maxPerKey: 100,
      maxKeys: 100,
      backoff: { initialMs: 1, maxMs: 4 },
    });
    q.offer("a", 1);
    q.offer("a", 2);
    await q.idle();
    expect(log).toEqual([1, 2]);
    expect(retries).toEqual([1, 2]);
  });

  it("merges the newest waiting items of a key past its bound instead of growing", async () => {
    const handled: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const q = orderedPerKey<number[]>({
      handle: async (_k, v) => {
        if (v[0] === 0) await gate;
        handled.push(v);
      },
      onRetry: () => undefined,
      merge: (a, b) => [...a, ...b],
      concurrency: 1,
      maxPerKey: 2,
      maxKeys: 10,
    });
    q.offer("a", [0]);
    q.offer("a", [1]);
    q.offer("a", [2]);
    q.offer("a", [3]);
    expect(q.waiting).toBe(2);
    release();
    await q.idle();
    expect(handled).toEqual([[0], [1, 2, 3]]);
  });
});
