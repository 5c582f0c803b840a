import { agentInboxPrefix, subjects } from "@gantry/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NatsAuthError } from "./errors.ts";
import { agentPermissions, claimsPusherPermissions, hubPermissions, isSubjectFilter } from "./permissions.ts";

/** nats-server's matching rule, written out independently: `*` is one token, `>` one or more at the end. */
const matches = (filter: string, subject: string): boolean => {
  const f = filter.split(".");
  const s = subject.split(".");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === ">") return s.length > i;
    if (i >= s.length || (f[i] !== "*" && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
};
const allowed = (filters: string[], subject: string) => filters.some((f) => matches(f, subject));

const clusterName = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?$/);
const kind = fc.constantFrom("hello", "heartbeat", "status", "sync", "signals", "some-future-kind");

describe("agentPermissions", () => {
  it("lets an agent publish every kind of message for its own cluster and nothing for another", () => {
    fc.assert(
      fc.property(clusterName, clusterName, kind, (own, other, k) => {
        const p = agentPermissions(own);
        expect(allowed(p.publish, `gantry.v1.agent.${own}.${k}`)).toBe(true);
        expect(allowed(p.publish, `gantry.v1.agent.${other}.${k}`)).toBe(own === other);
        // It never speaks as the hub, not even towards itself, nor to the hub replicas.
        expect(allowed(p.publish, subjects.desired(own))).toBe(false);
        expect(allowed(p.publish, "gantry.v1.hubs.leader")).toBe(false);
        expect(p.allowResponses).toBeUndefined();
      }),
    );
  });

  it("lets an agent hear only what is addressed to its cluster, its request inbox included", () => {
    fc.assert(
      fc.property(clusterName, clusterName, (own, other) => {
        const p = agentPermissions(own);
        expect(allowed(p.subscribe, subjects.desired(own))).toBe(true);
        // nats.js subscribes `<inboxPrefix>.<nuid>.*` for requests.
        expect(allowed(p.subscribe, `${agentInboxPrefix(own)}.Xn4Yz.*`)).toBe(true);
        expect(allowed(p.subscribe, subjects.desired(other))).toBe(own === other);
        expect(allowed(p.subscribe, `${agentInboxPrefix(other)}.Xn4Yz.*`)).toBe(own === other);
        expect(allowed(p.subscribe, "_INBOX.Xn4Yz.*")).toBe(false);
        expect(allowed(p.subscribe, subjects.heartbeat(own))).toBe(false);
      }),
    );
  });

  it.each(["", "A", "a.b", "a*", ">", "-a", "a-", "a_b", "a".repeat(64)])("refuses cluster name %j", (name) => {
    expect(() => agentPermissions(name)).toThrow(NatsAuthError);
    try {
      agentPermissions(name);
    } catch (error) {
      expect(error).toMatchObject({ code: "invalid_cluster_name" });
    }
  });

  it("accepts a 63-character name", () => {
    expect(agentPermissions("a".repeat(63)).publish).toEqual([`gantry.v1.agent.${"a".repeat(63)}.>`]);
  });
});

describe("hubPermissions", () => {
  it("speaks to every agent and replica, hears every agent, and cannot forge an agent's message", () => {
    fc.assert(
      fc.property(clusterName, kind, (cluster, k) => {
        const p = hubPermissions();
        expect(allowed(p.publish, subjects.desired(cluster))).toBe(true);
        expect(allowed(p.publish, `${agentInboxPrefix(cluster)}.nuid.1`)).toBe(true);
        expect(allowed(p.subscribe, `gantry.v1.agent.${cluster}.${k}`)).toBe(true);
        expect(allowed(p.publish, `gantry.v1.agent.${cluster}.${k}`)).toBe(false);
      }),
    );
    const p = hubPermissions();
    for (const wildcard of [subjects.allHello, subjects.allHeartbeats, subjects.allStatus, subjects.allSync]) {
      expect(allowed(p.subscribe, wildcard)).toBe(true);
    }
    expect(allowed(p.publish, "gantry.v1.hubs.leader")).toBe(true);
    expect(allowed(p.subscribe, "gantry.v1.hubs.leader")).toBe(true);
    expect(allowed(p.subscribe, "_INBOX.abc.*")).toBe(true);
    expect(p.allowResponses).toBe(true);
  });

  it("subscribes to the inbox prefix it is given instead of nats.js's default", () => {
    const p = hubPermissions({ inboxPrefix: "gantry.v1.hubs.inbox" });
    expect(allowed(p.subscribe, "_INBOX.abc.*")).toBe(false);
    expect(allowed(p.subscribe, "gantry.v1.hubs.inbox.abc.*")).toBe(true);
  });
});

describe("claimsPusherPermissions", () => {
  it("may push account claims and nothing else", () => {
    const p = claimsPusherPermissions();
    expect(allowed(p.publish, "$SYS.REQ.ACCOUNT.ABC.CLAIMS.UPDATE")).toBe(true);
    expect(allowed(p.publish, "$SYS.REQ.SERVER.PING")).toBe(false);
    expect(allowed(p.publish, subjects.desired("a"))).toBe(false);
  });
});

describe("isSubjectFilter", () => {
  it.each(["a", "a.b", "a.*", "a.>", "*", ">", "$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE", "_INBOX.>"])("accepts %j", (s) => {
    expect(isSubjectFilter(s)).toBe(true);
  });
  it.each(["", "a..b", ".a", "a.", "a.>.b", "a>", "a*", "a b", "a.\tb", "a.\u0001"])("refuses %j", (s) => {
    expect(isSubjectFilter(s)).toBe(false);
  });
});
