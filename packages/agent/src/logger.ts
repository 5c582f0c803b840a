import { pino } from "pino";

/** The few logger methods the agent uses; pino's logger satisfies it. */
export interface AgentLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Structured JSON logs to stderr (stdout is the command's own output); `LOG_LEVEL` sets the level. */
export const createLogger = (name: string, level = process.env.LOG_LEVEL ?? "info"): pino.Logger =>
  pino({ name, level }, pino.destination(2));
