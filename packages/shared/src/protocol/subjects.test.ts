import { describe, expect, it } from "vitest";
import { agentInboxPrefix, clusterOfSubject, kindOfSubject, subjects } from "./subjects.ts";

describe("subjects", () => {
  it("scopes everything an agent sends under its own cluster", () => {
    const prefix = subjects.agentPrefix("eu-1");
    expect(prefix).toBe("gantry.v1.agent.eu-1");
    for (const s of [
      subjects.hello("eu-1"),
      subjects.heartbeat("eu-1"),
      subjects.status("eu-1"),
      subjects.sync("eu-1"),
    ]) {
      expect(s.startsWith(`${prefix}.`)).toBe(true);
    }
  });

  it("scopes everything an agent receives, its request inbox too, under its own cluster", () => {
    const prefix = subjects.hubPrefix("eu-1");
    expect(subjects.desired("eu-1")).toBe(`${prefix}.desired`);
    expect(agentInboxPrefix("eu-1").startsWith(`${prefix}.`)).toBe(true);
  });

  it("keeps two clusters' subjects apart", () => {
    expect(subjects.desired("a")).not.toBe(subjects.desired("b"));
    expect(subjects.heartbeat("a").startsWith(subjects.agentPrefix("ab"))).toBe(false);
  });

  it.each(["", "a.b", "a*", ">", "A", "-a", "a-", "a b"])("rejects %j as a cluster token", (bad) => {
    expect(() => subjects.heartbeat(bad)).toThrow(/not a valid subject token/);
    expect(() => subjects.desired(bad)).toThrow(/not a valid subject token/);
    expect(() => agentInboxPrefix(bad)).toThrow(/not a valid subject token/);
  });

  it("reads the cluster back from an agent subject", () => {
    expect(clusterOfSubject(subjects.heartbeat("edge-7"))).toBe("edge-7");
    expect(clusterOfSubject(subjects.sync("c"))).toBe("c");
  });

  it("finds no cluster in hub or foreign subjects", () => {
    expect(clusterOfSubject(subjects.desired("c"))).toBeUndefined();
    expect(clusterOfSubject("other.v1.agent.c.hello")).toBeUndefined();
    expect(clusterOfSubject("gantry.v2.agent.c.hello")).toBeUndefined();
    expect(clusterOfSubject("gantry")).toBeUndefined();
  });

  it("matches the hub's wildcards to every cluster's subjects", () => {
    const matches = (pattern: string, subject: string) => {
      const p = pattern.split(".");
      const s = subject.split(".");
      return p.length === s.length && p.every((t, i) => t === "*" || t === s[i]);
    };
    expect(matches(subjects.allHello, subjects.hello("x"))).toBe(true);
    expect(matches(subjects.allHeartbeats, subjects.heartbeat("x"))).toBe(true);
    expect(matches(subjects.allStatus, subjects.status("x"))).toBe(true);
    expect(matches(subjects.allSync, subjects.sync("x"))).toBe(true);
    expect(matches(subjects.allSync, subjects.status("x"))).toBe(false);
  });

  it("reads the message kind of an agent subject only, and only of the five-token form", () => {
    expect(kindOfSubject(subjects.status("c1"))).toBe("status");
    expect(kindOfSubject(subjects.sync("edge-7"))).toBe("sync");
    expect(kindOfSubject(subjects.desired("c1"))).toBeUndefined();
    expect(kindOfSubject(`${subjects.status("c1")}.extra`)).toBeUndefined();
    expect(kindOfSubject("gantry.v1.agent.c1")).toBeUndefined();
  });
});
