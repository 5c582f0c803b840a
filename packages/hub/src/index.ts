export * from "./bus/nats-server.ts";
