/**
 * Memory of a process tree, read from /proc (Linux): each process's resident
 * set, grouped by role — the server, its engine children, PostgreSQL, and
 * the npm/tsx launchers in front of `npm start`. A sampler keeps the peaks.
 */
import { readdirSync, readFileSync } from "node:fs";

const PAGE = 4096;

/** Resident memory of one sample, in MiB, by role. */
export interface RssSample {
  server: number;
  engineChildren: number;
  postgres: number;
  launchers: number;
  total: number;
  /** How many engine children were alive. */
  children: number;
}

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  cmdline: string;
  rss: number;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const ppid = Number(stat.slice(close + 2).split(" ")[1]);
    const rss = Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * PAGE;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
    return { pid, ppid, comm, cmdline, rss };
  } catch {
    return undefined; // gone meanwhile
  }
}

/** `root` and all its descendants. */
export function processTree(root: number): Proc[] {
  const all = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map((d) => readProc(Number(d))).filter((p): p is Proc => !!p);
  const kids = new Map<number, Proc[]>();
  for (const p of all) kids.set(p.ppid, [...(kids.get(p.ppid) ?? []), p]);
  const out: Proc[] = [];
  const rootProc = all.find((p) => p.pid === root);
  if (!rootProc) return out;
  const stack = [rootProc];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(kids.get(p.pid) ?? []));
  }
  return out;
}

function role(p: Proc): keyof Omit<RssSample, "total" | "children"> {
  if (p.comm === "postgres" || p.comm === "initdb" || p.comm === "pg_ctl") return "postgres";
  if (/simulate-child|pulumi-child|plan-child/.test(p.cmdline)) return "engineChildren";
  if (/npm-cli|npm start|tsx\/dist\/cli|^sh |^\/bin\/sh /.test(p.cmdline) || p.comm === "npm" || p.comm === "sh") return "launchers";
  if (/server\/main\.ts/.test(p.cmdline)) return "server";
  return "launchers";
}

export function sampleRss(root: number): RssSample {
  const s: RssSample = { server: 0, engineChildren: 0, postgres: 0, launchers: 0, total: 0, children: 0 };
  for (const p of processTree(root)) {
    const mib = p.rss / 2 ** 20;
    s[role(p)] += mib;
    s.total += mib;
    if (role(p) === "engineChildren") s.children++;
  }
  return s;
}

/** Samples a tree every `everyMs` and keeps the peak of each role and of the total. */
export class RssSampler {
  readonly peak: RssSample = { server: 0, engineChildren: 0, postgres: 0, launchers: 0, total: 0, children: 0 };
  private timer?: NodeJS.Timeout;

  constructor(private readonly root: number, private readonly everyMs = 200) {}

  start(): this {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.everyMs);
    return this;
  }

  stop(): RssSample {
    clearInterval(this.timer);
    this.tick();
    return this.peak;
  }

  private tick() {
    const s = sampleRss(this.root);
    for (const k of Object.keys(s) as (keyof RssSample)[]) this.peak[k] = Math.max(this.peak[k], s[k]);
  }
}
