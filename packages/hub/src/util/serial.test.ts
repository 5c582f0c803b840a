import { describe, expect, it, vi } from "vitest";
import { coalesced, grouped, mutex, wakeup } from "./serial.ts";

/** A promise the test resolves by hand. */
const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { opened, open };
};

describe("coalesced", () => {
  it("runs once per burst: requests made during a run become one more run", async () => {
    let runs = 0;
    const first = gate();
    const task = coalesced(
      async () => {
        runs++;
        if (runs === 1) await first.opened;
      },
      () => undefined,
    );
    const kicks = [task.kick(), task.kick(), task.kick(), task.kick()];
    expect(runs).toBe(1);
    first.open();
    await Promise.all(kicks);
    expect(runs).toBe(2);
    await task.kick();
    expect(runs).toBe(3);
  });

  it("never runs the task twice at once", async () => {
    let active = 0;
    let maxActive = 0;
    const task = coalesced(
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 1));
        active--;
      },
      () => undefined,
    );
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 3 === 0 ? task.idle() : task.kick())));
    await task.idle();
    expect(maxActive).toBe(1);
  });

  it("hands a failure to onError and keeps working", async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const task = coalesced(
      async () => {
        runs++;
        if (runs === 1) throw new Error("boom");
      },
      (e) => errors.push(e),
    );
    await task.kick();
    expect(errors.map((e) => (e as Error).message)).toEqual(["boom"]);
    await task.kick();
    expect(runs).toBe(2);
  });

  it("idle waits for the re-run a burst asked for", async () => {
    const order: string[] = [];
    const first = gate();
    let runs = 0;
    const task = coalesced(
      async () => {
        runs++;
        if (runs === 1) await first.opened;
        order.push(`run ${runs}`);
      },
      () => undefined,
    );
    void task.kick();
    void task.kick();
    const idle = task.idle().then(() => order.push("idle"));
    first.open();
    await idle;
    expect(order).toEqual(["run 1", "run 2", "idle"]);
  });
});

describe("mutex", () => {
  it("runs sections one after another in call order", async () => {
    const exclusive = mutex();
    const order: string[] = [];
    const section = (name: string, ms: number) =>
      exclusive(async () => {
        order.push(`${name} in`);
        await new Promise((r) => setTimeout(r, ms));
        order.push(`${name} out`);
        return name;
      });
    const results = await Promise.all([section("a", 5), section("b", 1), section("c", 0)]);
    expect(results).toEqual(["a", "b", "c"]);
    expect(order).toEqual(["a in", "a out", "b in", "b out", "c in", "c out"]);
  });

  it("lets the next section run after one throws, and passes the error to its caller", async () => {
    const exclusive = mutex();
    const failed = exclusive(async () => {
      throw new Error("nope");
    });
    const next = exclusive(async () => 42);
    await expect(failed).rejects.toThrow("nope");
    await expect(next).resolves.toBe(42);
  });
});

describe("wakeup", () => {
  it("wakes every waiter at the next notify, long before their timeout, and forgets them", async () => {
    const w = wakeup();
    const started = performance.now();
    const woken: number[] = [];
    const a = w.wait(60_000).then(() => woken.push(1));
    const b = w.wait(60_000).then(() => woken.push(2));
    expect(w.waiting).toBe(2);
    w.notify();
    await Promise.all([a, b]);
    expect(woken.sort()).toEqual([1, 2]);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(w.waiting).toBe(0);
  });

  it("resolves on its own timeout without a notify, and a later notify does not reach a waiter that came after it", async () => {
    const w = wakeup();
    await w.wait(5);
    expect(w.waiting).toBe(0);
    w.notify();
    let late = false;
    const p = w.wait(30).then(() => {
      late = true;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(late).toBe(false);
    await p;
    expect(late).toBe(true);
  });
});

describe("grouped", () => {
  const deferred = () => {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    return { promise, resolve };
  };

  it("runs a lone call at once, and groups the calls that arrive while a batch is written", async () => {
    const batches: number[][] = [];
    const gates: ReturnType<typeof deferred>[] = [];
    const run = grouped(
      async (items: number[]) => {
        batches.push(items);
        const gate = deferred();
        gates.push(gate);
        await gate.promise;
        return items.map((i) => i * 10);
      },
      { maxBatch: 3, concurrency: 1 },
    );
    const first = run(1);
    expect(batches).toEqual([[1]]);
    const rest = [2, 3, 4, 5].map((i) => run(i));
    expect(batches).toHaveLength(1);
    gates[0]!.resolve();
    expect(await first).toBe(10);
    await vi.waitFor(() => expect(batches).toHaveLength(2));
    expect(batches[1]).toEqual([2, 3, 4]);
    gates[1]!.resolve();
    await vi.waitFor(() => expect(batches).toHaveLength(3));
    gates[2]!.resolve();
    expect(await Promise.all(rest)).toEqual([20, 30, 40, 50]);
    expect(batches[2]).toEqual([5]);
  });

  it("fails every call of a batch that fails, and goes on with the next batch", async () => {
    let calls = 0;
    const run = grouped(
      async (items: string[]) => {
        calls++;
        if (items.includes("bad")) throw new Error("boom");
        return items.map((s) => s.toUpperCase());
      },
      { maxBatch: 10, concurrency: 1 },
    );
    const a = run("bad");
    const b = run("ok");
    await expect(a).rejects.toThrow("boom");
    expect(await b).toBe("OK");
    expect(calls).toBe(2);
  });

  it("runs up to `concurrency` batches at a time", async () => {
    let inFlight = 0;
    let most = 0;
    const run = grouped(
      async (items: number[]) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return items;
      },
      { maxBatch: 1, concurrency: 2 },
    );
    await Promise.all([1, 2, 3, 4, 5].map((i) => run(i)));
    expect(most).toBe(2);
  });
});
