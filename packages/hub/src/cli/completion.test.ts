import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { bashCompletion, completionTree, fishCompletion, zshCompletion } from "./completion.ts";

const program = () => {
  const p = new Command("gantry").option("--hub <url>", "hub URL");
  p.command("get").description("list").option("-o, --output <format>", "format").argument("<kind>");
  const cluster = p.command("cluster").description("clusters");
  cluster.command("add").description("register").option("--tier <tier>", "tier");
  return p;
};

describe("completion", () => {
  const tree = completionTree(program(), { get: ["workloads", "clusters"] });

  it("walks the command tree: every command, its subcommands, options and argument words", () => {
    expect(tree.map((n) => n.path.join(" "))).toEqual(["", "get", "cluster", "cluster add"]);
    expect(tree[1]).toMatchObject({
      argumentWords: ["workloads", "clusters"],
      options: [{ short: "-o", long: "--output", takesValue: true }],
    });
  });

  it("offers each path's words in bash (and zsh through bashcompinit)", () => {
    const bash = bashCompletion("gantry", tree);
    expect(bash).toContain("complete -F _gantry gantry");
    expect(bash).toContain("'get') words='workloads clusters -o --output'");
    expect(bash).toContain("'cluster add') words='--tier'");
    expect(bash).toContain("'') words='get cluster --hub'");
    expect(zshCompletion("gantry", tree)).toMatch(
      /^#compdef gantry\n[\s\S]*bashcompinit[\s\S]*complete -F _gantry gantry/,
    );
  });

  it("writes fish completions with descriptions", () => {
    const fish = fishCompletion("gantry", tree);
    expect(fish).toContain("complete -c gantry -n '__fish_use_subcommand' -a 'get' -d 'list'");
    expect(fish).toContain("-a 'add' -d 'register'");
    expect(fish).toMatch(/-s o -l output -r -d 'format'/);
  });
});
