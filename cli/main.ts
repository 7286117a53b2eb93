/**
 * `goldenpath <command> [...]`: a thin dispatcher. Each command lives in its
 * own module exporting `run(argv): Promise<number>` (the exit code), loaded
 * only when used; adding a command is one line in COMMANDS.
 */
export type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run: Command }> }> = {
  plan: { summary: "plan <spec-file> [--json] [--layer foundation|platform]   offline plan under Pulumi mocks + policy findings", load: () => import("./plan.js") },
  preflight: { summary: "preflight <spec-file> [--json]                        resolve images, check platforms and chart pairing; changes nothing", load: () => import("./preflight.js") },
  doctor: { summary: "doctor [--json]                                        check this host: Pulumi CLI, plugins, AWS, backend, secrets, data dir, database", load: () => import("./doctor.js") },
};

function help(): number {
  const lines = ["usage: goldenpath <command> [options]", "", "commands:"];
  for (const [, c] of Object.entries(COMMANDS)) lines.push(`  ${c.summary}`);
  lines.push("  help                                                     this text");
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") return help();
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`goldenpath: unknown command ${name}\n`);
    help();
    return 2;
  }
  return (await command.load()).run(rest);
}

const code = await main(process.argv.slice(2));
// Let stdout drain before exiting (large JSON plans).
process.stdout.write("", () => process.exit(code));
