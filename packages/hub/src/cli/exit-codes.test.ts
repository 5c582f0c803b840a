import { describe, expect, it } from "vitest";
import { ExitCode, exitCodeForStatus, exitCodeTable } from "./exit-codes.ts";

describe("exit codes", () => {
  it.each([
    [400, ExitCode.usage],
    [413, ExitCode.usage],
    [415, ExitCode.usage],
    [422, ExitCode.usage],
    [401, ExitCode.forbidden],
    [403, ExitCode.forbidden],
    [404, ExitCode.notFound],
    [409, ExitCode.conflict],
    [429, ExitCode.server],
    [500, ExitCode.server],
    [503, ExitCode.server],
  ])("HTTP %i exits %i", (status, code) => {
    expect(exitCodeForStatus(status)).toBe(code);
  });

  it("documents every code once, in order", () => {
    expect(exitCodeTable.map((r) => r.code)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
