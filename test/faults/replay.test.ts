import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seconds, writeFigures } from "./support/figures.ts";
import { counter } from "./support/http.ts";
import { aJob, aService, type DatabaseKind, eventually, type FaultStack, startFaultStack } from "./support/stack.ts";

const DATABASES: DatabaseKind[] = ["postgres", "pglite"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Snapshot {
  phases: Map<string, string>;
  generations: Map<string, number>;
  events: Map<string, number>;
  agents: Map<string, string | null>;
}

describe.each(DATABASES)("duplicate and late delivery (%s)", (database) => {
  let s: FaultStack;
  beforeAll(async () => {
    s = await startFaultStack({ scenario: "replay", database });
    await s.readyClusters();
  });
  afterAll(async () => s?.close());

  const snapshot = async (): Promise<Snapshot> => {
    const out: Snapshot = { phases: new Map(), generations: new Map(), events: new Map(), agents: new Map() };
    for (const a of s.ledger.accepted) {
      const w = (await s.api.workload(a.tenant, a.name)).body;
      out.phases.set(a.name, w.status.phase);
      out.generations.set(a.name, w.status.generation);
      out.events.set(a.name, (await s.api.events(a.tenant, a.name)).body.items.length);
    }
    for (const c of (await s.api.clusters()).body.items) out.agents.set(c.name, c.agent.id);
    return out;
  };

  it("every recorded agent message delivered again (twice, and in reverse order), and a dead agent's messages late: nothing changes", async () => {
    const done = await s.submit(aJob("finished", { durationHours: 3 }));
    const long = await s.submit(aJob("running"));
    const svc = await s.submit(aService("serving"));
    await s.waitPhase(done.metadata, ["Succeeded"]);
    await s.waitPhase(long.metadata, ["Running"]);
    await s.waitPhase(svc.metadata, ["Running"]);
    // A previous incarnation of gamma's agent: its messages will arrive late, after its successor took over.
    const oldGamma = s.recorder.messages.find((m) => m.cluster === "gamma")?.agentId;
    await s.restartAgent("gamma");
    await s.readyClusters();
    await sleep(s.timings.statusMs);
    const before = await snapshot();
    const droppedBefore = counter((await s.api.metrics()).body, "gantry_agent_messages_total", { result: "dropped" });

    const recorded = [...s.recorder.messages];
    const replayStarted = Date.now();
    const alive = (m: (typeof recorded)[number]) => m.agentId !== oldGamma;
    let replayed = 0;
    replayed += await s.recorder.replay((m) => recorded.includes(m) && alive(m));
    replayed += await s.recorder.replay((m) => recorded.includes(m) && alive(m));
    const reversed = recorded.filter((m) => m.kind === "status" && alive(m)).reverse();
    for (const m of reversed) replayed += await s.recorder.replay((x) => x === m);
    // Late delivery from the dead agent: everything it ever sent, hello last.
    const lateFromDead = recorded.filter((m) => m.agentId === oldGamma && m.kind !== "hello");
    for (const m of lateFromDead) replayed += await s.recorder.replay((x) => x === m);
    await sleep(2 * s.timings.statusMs);
    const after = await snapshot();
    const dropped = counter((await s.api.metrics()).body, "gantry_agent_messages_total", { result: "dropped" });
    const health = await s.clusterHealth();

    // The dead agent's hello, late: does it take gamma's session from the live agent?
    const hello = recorded.filter((m) => m.agentId === oldGamma && m.kind === "hello").at(-1);
    let sessionLostMs: number | null = null;
    if (hello) {
      const helloAt = Date.now();
      await s.recorder.replay((x) => x === hello);
      await sleep(1_000);
      const gammaAgent = (await s.api.clusters()).body.items.find((c) => c.name === "gamma")?.agent.id;
      if (gammaAgent === oldGamma) {
        await eventually(
          async () =>
            (await s.api.clusters()).body.items.find((c) => c.name === "gamma")?.agent.id !== oldGamma
              ? true
              : undefined,
          "gamma's live agent to take its session back",
        );
        sessionLostMs = Date.now() - helloAt;
      } else sessionLostMs = 0;
    }

    const result = await s.verify((w) => (w.name === "finished" ? ["Succeeded"] : ["Running"]));
    writeFigures({
      scenario: "replay",
      database,
      figures: {
        replayed,
        dropped: dropped - droppedBefore,
        replay_s: seconds(Date.now() - replayStarted),
        late_hello_session_loss_s: seconds(sessionLostMs),
      },
      lost: result.lost.length,
      doubleRuns: result.doubles.length,
      notes: [
        "every agent message recorded so far published again twice byte for byte, the status reports once more newest first, then the messages of gamma's previous agent process (restarted before); finally that dead agent's last hello alone.",
      ],
    });

    expect(after.phases).toEqual(before.phases);
    expect(after.generations).toEqual(before.generations);
    expect(after.events).toEqual(before.events);
    expect(after.agents).toEqual(before.agents);
    expect([...health.values()].every((h) => h === "ready")).toBe(true);
    expect(dropped - droppedBefore).toBeGreaterThan(0);
    expect(hello).toBeDefined();
    expect(sessionLostMs).toBe(0);
    expect(result.lost).toEqual([]);
    expect(result.doubles).toEqual([]);
  });
});
