import { decode } from "@nats-io/jwt";
import { createAccount, createOperator, createUser } from "@nats-io/nkeys";
import { describe, expect, it } from "vitest";
import { signGantryAccount, signOperator, signSystemAccount, signUser, userPermissionClaims } from "./claims.ts";

describe("userPermissionClaims", () => {
  it("turns an empty list into deny-everything, because nats-server reads an empty allow as allow-all", () => {
    expect(userPermissionClaims({ publish: [], subscribe: ["a.>"] })).toEqual({
      pub: { deny: [">"] },
      sub: { allow: ["a.>"] },
    });
  });

  it("allows one response per request only when asked", () => {
    expect(userPermissionClaims({ publish: ["a"], subscribe: ["b"] }).resp).toBeUndefined();
    expect(userPermissionClaims({ publish: ["a"], subscribe: ["b"], allowResponses: true }).resp).toEqual({
      max: 1,
      ttl: 0,
    });
  });
});

describe("signed claims", () => {
  it("chains operator → account → user with the fields nats-server reads", async () => {
    const operator = createOperator();
    const sys = createAccount();
    const account = createAccount();
    const user = createUser();

    const op = decode<{ system_account: string; type: string }>(await signOperator(operator, sys.getPublicKey()));
    expect(op).toMatchObject({ sub: operator.getPublicKey(), iss: operator.getPublicKey() });
    expect(op.nats).toMatchObject({ system_account: sys.getPublicKey(), type: "operator" });

    const sysClaims = decode<{ limits: Record<string, unknown> }>(await signSystemAccount(sys, operator));
    expect(sysClaims.iss).toBe(operator.getPublicKey());
    // Without explicit limits nats-server admits no connection at all.
    expect(sysClaims.nats.limits).toMatchObject({ conn: -1, subs: -1 });

    const revocations = { [user.getPublicKey()]: 1_700_000_000 };
    const acc = decode<{ revocations: Record<string, number>; limits: Record<string, unknown> }>(
      await signGantryAccount(account, operator, revocations),
    );
    expect(acc).toMatchObject({ sub: account.getPublicKey(), iss: operator.getPublicKey(), name: "GANTRY" });
    expect(acc.nats.revocations).toEqual(revocations);
    expect(acc.nats.limits).toMatchObject({ conn: -1, streams: -1, disk_storage: -1 });
    const none = decode<{ revocations?: unknown }>(await signGantryAccount(account, operator, {}));
    expect(none.nats.revocations).toBeUndefined();

    const u = decode<{ pub: unknown; sub: unknown }>(
      await signUser("a", user, account, { publish: ["x.>"], subscribe: ["y.>"] }, 1_900_000_000),
    );
    expect(u).toMatchObject({ sub: user.getPublicKey(), iss: account.getPublicKey(), name: "a", exp: 1_900_000_000 });
    expect(u.nats).toMatchObject({ pub: { allow: ["x.>"] }, sub: { allow: ["y.>"] }, type: "user" });
  });
});
