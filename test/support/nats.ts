import { type RunningNatsServer, startNatsServer } from "@gantry/hub";
import { freePort } from "./ports.ts";

/** A fresh nats-server on a free port, owned by the calling test (so it can be stopped or restarted). */
export const startTestNats = async (port?: number): Promise<RunningNatsServer> =>
  startNatsServer({ port: port ?? (await freePort()) });
