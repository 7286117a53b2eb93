/**
 * Prometheus metrics in the text exposition format (0.0.4), written by hand:
 * four families do not justify a dependency. Counters and histograms live in
 * this process; the queue depth is read from the store at scrape time so
 * every replica reports the same truth.
 */

const DURATION_BUCKETS_OP = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600];
const DURATION_BUCKETS_HTTP = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k].replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`)
    .join(",");
}

class Histogram {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: number[],
  ) {}

  observe(labels: Labels, value: number) {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    this.buckets.forEach((b, i) => {
      if (value <= b) s!.counts[i]++;
    });
    s.sum += value;
    s.count++;
  }

  render(): string[] {
    const out = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [key, s] of this.series) {
      const sep = key ? "," : "";
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket{${key}${sep}le="${b}"} ${s.counts[i]}`));
      out.push(`${this.name}_bucket{${key}${sep}le="+Inf"} ${s.count}`);
      out.push(`${this.name}_sum${key ? `{${key}}` : ""} ${s.sum}`);
      out.push(`${this.name}_count${key ? `{${key}}` : ""} ${s.count}`);
    }
    return out;
  }
}

class Counter {
  private readonly series = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels, by = 1) {
    const key = labelKey(labels);
    this.series.set(key, (this.series.get(key) ?? 0) + by);
  }
  render(): string[] {
    const out = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [key, v] of this.series) out.push(`${this.name}${key ? `{${key}}` : ""} ${v}`);
    return out;
  }
}

/** A gauge family computed at scrape time. */
export interface GaugeFamily {
  name: string;
  help: string;
  values: { labels: Labels; value: number }[];
}

/** This process's metrics. */
export class Metrics {
  readonly operations = new Counter("goldenpath_operations_total", "Operations finished by this process, by kind and final status.");
  readonly operationDuration = new Histogram("goldenpath_operation_duration_seconds", "Wall time of operations run by this process.", DURATION_BUCKETS_OP);
  readonly httpDuration = new Histogram("goldenpath_http_request_duration_seconds", "HTTP request latency by method, route and status.", DURATION_BUCKETS_HTTP);
  readonly driftChecks = new Counter("goldenpath_drift_checks_total", "Drift checks finished by this process, by result (in_sync, drifted, error).");
  /** Gauges read from the store just before a scrape (the drift plugin refreshes them). */
  scrapeGauges: GaugeFamily[] = [];

  driftChecked(result: string) {
    this.driftChecks.inc({ result });
  }

  operationFinished(kind: string, status: string, seconds: number) {
    this.operations.inc({ kind, status });
    this.operationDuration.observe({ kind }, seconds);
  }

  httpRequest(method: string, route: string, status: number, seconds: number) {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  /** The exposition text; `gauges` are read at scrape time (queue depth, running). */
  render(gauges: { name: string; help: string; values: { labels: Labels; value: number }[] }[]): string {
    const lines = [...this.operations.render(), ...this.operationDuration.render(), ...this.httpDuration.render(), ...this.driftChecks.render()];
    for (const g of [...gauges, ...this.scrapeGauges]) {
      lines.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`);
      for (const v of g.values) {
        const key = labelKey(v.labels);
        lines.push(`${g.name}${key ? `{${key}}` : ""} ${v.value}`);
      }
    }
    return lines.join("\n") + "\n";
  }
}
