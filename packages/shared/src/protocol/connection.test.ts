import { describe, expect, it } from "vitest";
import { natsServerOptions } from "./connection.ts";

describe("natsServerOptions", () => {
  it("passes a URL without credentials through untouched", () => {
    expect(natsServerOptions("nats://bus.internal:4222")).toEqual({ servers: "nats://bus.internal:4222" });
  });

  it("passes what is no URL through untouched, for nats.js to refuse or resolve", () => {
    expect(natsServerOptions("not a url")).toEqual({ servers: "not a url" });
  });

  it("lifts user and password out of the URL into the connect options", () => {
    expect(natsServerOptions("nats://alice:s3cret@bus.internal:4222")).toEqual({
      servers: "nats://bus.internal:4222",
      user: "alice",
      pass: "s3cret",
    });
  });

  it("decodes percent-encoded credentials", () => {
    // %40 is "@", %3A is ":", %2F is "/": characters a URL's userinfo cannot hold as they are.
    expect(natsServerOptions("nats://al%40ice:p%3Ass%2Fw@bus.internal:4222")).toEqual({
      servers: "nats://bus.internal:4222",
      user: "al@ice",
      pass: "p:ss/w",
    });
  });

  it("takes a user without a password (a token) with an empty password", () => {
    expect(natsServerOptions("nats://t0ken@bus.internal:4222")).toEqual({
      servers: "nats://bus.internal:4222",
      user: "t0ken",
      pass: "",
    });
  });

  it("drops the trailing slash a WebSocket URL gains when its credentials are taken out", () => {
    // ws: is a special scheme: the URL serializer writes an empty path as "/".
    expect(natsServerOptions("ws://alice:pw@bus.internal:8080")).toEqual({
      servers: "ws://bus.internal:8080",
      user: "alice",
      pass: "pw",
    });
  });
});
