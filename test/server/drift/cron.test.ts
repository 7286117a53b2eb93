import t from "tap";
import { jitterSeconds, occurrenceInMinute, periodSeconds, validCron } from "../../../server/drift/cron.js";

t.test("an every-six-hours schedule is due only in its minute", async (t) => {
  t.ok(occurrenceInMinute("0 */6 * * *", new Date("2026-11-28T12:00:00Z")));
  t.ok(occurrenceInMinute("0 */6 * * *", new Date("2026-11-28T12:00:42Z")), "any instant within the minute");
  t.equal(occurrenceInMinute("0 */6 * * *", new Date("2026-11-28T12:01:00Z")), null);
  t.equal(occurrenceInMinute("0 */6 * * *", new Date("2026-11-28T13:00:00Z")), null);
  t.ok(occurrenceInMinute("* * * * *", new Date("2026-11-28T13:07:00Z")), "every minute is always due");
});

t.test("period and jitter spread checks over the window", async (t) => {
  t.equal(periodSeconds("0 */6 * * *", new Date("2026-11-28T12:00:00Z")), 6 * 3600);
  t.equal(periodSeconds("* * * * *", new Date("2026-11-28T12:00:00Z")), 60);
  const every6h = Array.from({ length: 200 }, (_, i) => jitterSeconds(`env-${i}`, 6 * 3600));
  t.ok(every6h.every((j) => j >= 0 && j < 900), "within 15 minutes");
  t.ok(new Set(every6h).size > 150, "200 environments do not share a second");
  const everyMinute = Array.from({ length: 50 }, (_, i) => jitterSeconds(`env-${i}`, 60));
  t.ok(everyMinute.every((j) => j < 30), "an every-minute schedule stays within its minute");
  t.equal(jitterSeconds("dev", 3600), jitterSeconds("dev", 3600), "stable across calls and processes");
});

t.test("cron validation", async (t) => {
  t.ok(validCron("*/5 * * * *"));
  t.notOk(validCron("61 * * * *"));
});
