/**
 * Drift schedule arithmetic, pure so it can be tested without a clock.
 *
 * One pg-boss cron job ("drift-tick", every minute, fired once across all
 * replicas by pg-boss) asks, for each environment, whether its own cron
 * (`drift.schedule`, else the server default) has an occurrence in that
 * minute. Due checks are delayed by a per-environment jitter so that many
 * environments on the same schedule spread over the window instead of all
 * starting in the same second.
 */
import { createHash } from "node:crypto";
import cronParser from "cron-parser";

export function validCron(expr: string): boolean {
  try {
    cronParser.parseExpression(expr, { tz: "UTC" });
    return true;
  } catch {
    return false;
  }
}

/** The occurrence of `expr` within [minuteStart, minuteStart + 60 s), if any. */
export function occurrenceInMinute(expr: string, minuteStart: Date): Date | null {
  const start = new Date(Math.floor(minuteStart.getTime() / 60_000) * 60_000);
  const it = cronParser.parseExpression(expr, { currentDate: new Date(start.getTime() - 1), tz: "UTC" });
  const next = it.next().toDate();
  return next.getTime() < start.getTime() + 60_000 ? next : null;
}

/** Seconds between the occurrence at `at` and the one after it. */
export function periodSeconds(expr: string, at: Date): number {
  const it = cronParser.parseExpression(expr, { currentDate: at, tz: "UTC" });
  const next = it.next().toDate();
  return Math.max(60, Math.round((next.getTime() - at.getTime()) / 1000));
}

/**
 * A stable per-environment delay: at most half the period and never more than
 * 15 minutes, so an every-minute schedule still checks within its minute and
 * a six-hourly one spreads over a quarter hour.
 */
export function jitterSeconds(environment: string, period: number): number {
  const spread = Math.max(1, Math.min(Math.floor(period / 2), 900));
  // A hash, not a counter: stable across processes and restarts, uniform over the spread.
  const h = createHash("sha256").update(environment).digest().readUInt32BE(0);
  return h % spread;
}
