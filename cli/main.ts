/**
 * `goldenpath <command> [...]`: a thin dispatcher. Each command lives in its
 * own module exporting `run(argv): Promise<number>` (the exit code), loaded
 * only when used; adding a command is one line in COMMANDS.
 */
export type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { usage: string; summary: string; load: () => Promise<{ run: Command }> }> = {
  plan: { usage: "plan <spec-file> [--json] [--layer foundation|platform]", summary: "offline plan under Pulumi mocks + policy findings", load: () => import("./plan.js") },
  preflight: { usage: "preflight <spec-file> [--json]", summary: "resolve images, check platforms and chart pairing; changes nothing", load: () => import("./preflight.js") },
  doctor: { usage: "doctor [--json]", summary: "check this host: Pulumi CLI, plugins, AWS, backend, secrets, data dir, database", load: () => import("./doctor.js") },
  help: { usage: "help", summary: "this text", load: async () => ({ run: async () => help() }) },
};

function help(): number {
  const lines = ["usage: goldenpath <command> [options]", "", "commands:"];
  const width = Math.max(...Object.values(COMMANDS).map((c) => c.usage.length));
  for (const c of Object.values(COMMANDS)) lines.push(`  ${c.usage.padEnd(width)}   ${c.summary}`);
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
