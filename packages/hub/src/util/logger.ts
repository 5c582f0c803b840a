import { pino } from "pino";

/** The one logger type passed around; child loggers carry `cluster`, `workload`. */
export type Logger = pino.Logger;

/** Structured JSON logs to stderr (stdout is for the CLI's own output); `LOG_LEVEL` sets the level. */
export const createLogger = (name: string, level = process.env.LOG_LEVEL ?? "info"): Logger =>
  pino({ name, level }, pino.destination(2));

export const silentLogger = (): Logger => pino({ level: "silent" });
