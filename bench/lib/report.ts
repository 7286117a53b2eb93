/**
 * What every benchmark prints: its figures (each beside its target when it
 * has one), the command that produced them, and the machine. `run.ts`
 * collects the same records into one summary table.
 */
import os from "node:os";

/** One measured figure. `met` is undefined when the figure has no target. */
export interface Figure {
  label: string;
  value: number | string;
  unit?: string;
  target?: string;
  met?: boolean;
}

/** The outcome of one benchmark. */
export interface BenchResult {
  name: string;
  command: string;
  seconds: number;
  figures: Figure[];
  /** Plain-language notes: deviations from the issue, scaled-down sizes, extrapolations, findings. */
  notes: string[];
}

/** The machine the figures come from (absolute times drift between machines; ratios less). */
export function machine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model?.trim() ?? "unknown CPU";
  const load = os.loadavg().map((l) => l.toFixed(1)).join(" ");
  return `${cpus.length}× ${model}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.platform()} ${os.release()}, node ${process.version}, load average ${load}`;
}

export const fmt = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : String(v));

export function figureLine(f: Figure): string {
  const value = typeof f.value === "number" ? (Number.isInteger(f.value) ? String(f.value) : fmt(f.value, Math.abs(f.value) >= 100 ? 0 : 2)) : f.value;
  const target = f.target ? `  target ${f.target} → ${f.met === undefined ? "n/a" : f.met ? "MET" : "MISSED"}` : "";
  return `  ${f.label}: ${value}${f.unit ? " " + f.unit : ""}${target}`;
}

/** Print a benchmark's result block. */
export function printResult(r: BenchResult): void {
  const lines = [`== ${r.name} (${fmt(r.seconds)} s)`, `command: ${r.command}`, `machine: ${machine()}`, ...r.figures.map(figureLine)];
  for (const n of r.notes) lines.push(`  note: ${n}`);
  process.stdout.write(lines.join("\n") + "\n\n");
}

/** Progress lines, on stderr so stdout stays the report. */
export function progress(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
