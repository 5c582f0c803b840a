import { pino } from "pino";

/** The one logger type passed around; child loggers carry `cluster`, `workload`. */
export type Logger = pino.Logger;

// One definition of the process logger for the hub and the agent (stderr JSON, `LOG_LEVEL`).
export { createLogger } from "@gantry/agent";

export const silentLogger = (): Logger => pino({ level: "silent" });
