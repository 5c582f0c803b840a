import { Command } from "commander";

type Out = (text: string) => void;

/** `gantry logs NAME`: placeholder until the hub's logs route lands (next commit). */
export const logsCommand = (_out: Out): Command =>
  new Command("logs").description("a workload's logs").argument("<name>");
