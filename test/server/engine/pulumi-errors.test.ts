import t from "tap";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import {
  classifyFailure,
  cliMissingError,
  pendingOperationUrns,
  withLockRetry,
  INSTALL_URL,
} from "../../../server/engine/pulumi-errors.js";
import { EngineError } from "../../../server/engine/port.js";
import { Redactor } from "../../../server/engine/redact.js";

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../fixtures/engine-events/stderr");
const stderr = (name: string) => readFileSync(path.join(dir, name), "utf8");

const EXPECTED: [string, string, RegExp][] = [
  ["concurrent-update-diy.txt", "STACK_LOCKED", /holds the stack's lock/],
  ["concurrent-update-cloud.txt", "STACK_LOCKED", /holds the stack's lock/],
  ["credentials-missing.txt", "CREDENTIALS", /no valid AWS credentials/],
  ["credentials-no-providers.txt", "CREDENTIALS", /no valid AWS credentials/],
  ["credentials-expired.txt", "CREDENTIALS", /expired/],
  ["credentials-invalid-token.txt", "CREDENTIALS", /no valid AWS credentials/],
  ["allowed-account-ids.txt", "WRONG_ACCOUNT", /account 210987654321.*allowedAccountIds/],
  ["pending-operations.txt", "PENDING_OPERATIONS", /2 resource\(s\) with pending operations/],
  ["plugin-missing.txt", "ENGINE_UNAVAILABLE", /plugin "aws" v7\.48\.0 is not installed/],
  ["cli-missing.txt", "ENGINE_UNAVAILABLE", /Pulumi CLI not found on PATH/],
  ["cancelled.txt", "CANCELLED", /cancelled/],
  ["passphrase.txt", "INTERNAL", /could not be decrypted/],
];

for (const [file, code, message] of EXPECTED) {
  t.test(`${file} classifies as ${code} with a client-safe message and a fix`, async (t) => {
    const err = classifyFailure({ name: "CommandError", stderr: stderr(file) });
    t.equal(err.code, code);
    t.match(err.message, message);
    t.notOk(err.message.includes("\n"), "one line");
    t.notOk(err.message.includes("urn:pulumi"), "no URN dump in the message");
    t.ok(err.detail && err.detail.length > 0, "stderr kept in detail for admins");
    if (code !== "CANCELLED") t.ok(err.fix && err.fix.length > 10, "fix hint");
  });
}

t.test("ConcurrentUpdateError by name is STACK_LOCKED even with unfamiliar text", async (t) => {
  t.equal(classifyFailure({ name: "ConcurrentUpdateError", stderr: "something new" }).code, "STACK_LOCKED");
});

t.test("an aborted run is CANCELLED whatever the stderr says", async (t) => {
  t.equal(classifyFailure({ aborted: true, stderr: stderr("credentials-missing.txt") }).code, "CANCELLED");
});

t.test("a provider error: first line of the error diagnostic, with its URN", async (t) => {
  const urn = "urn:pulumi:dev-foundation::goldenpath::goldenpath:aws:Database$aws:rds/instance:Instance::dev-postgres";
  const err = classifyFailure({
    stderr: "error: update failed\n",
    diagnostic: { urn, message: "creating RDS DB Instance (dev-postgres): api error InvalidParameterCombination: Cannot find version 16.99\nsecond line" },
  });
  t.equal(err.code, "PROVIDER_ERROR");
  t.equal(err.urn, urn);
  t.equal(err.message, "creating RDS DB Instance (dev-postgres): api error InvalidParameterCombination: Cannot find version 16.99");
});

t.test("a diagnostic naming a known class wins over the generic provider error", async (t) => {
  const err = classifyFailure({ diagnostic: { urn: "urn:pulumi:s::p::pulumi:providers:aws::default", message: "AWS account ID not allowed: 111111111111" } });
  t.equal(err.code, "WRONG_ACCOUNT");
});

t.test("unknown failure is INTERNAL with a generic message; stderr only in detail", async (t) => {
  const err = classifyFailure({ stderr: "panic: runtime error: index out of range [3] with length 2\ngoroutine 1 [running]:" });
  t.equal(err.code, "INTERNAL");
  t.notMatch(err.message, /panic/);
  t.match(err.detail, /panic/);
  t.notOk("detail" in err.toJSON(), "detail never serialised to clients");
});

t.test("stderr in detail is redacted", async (t) => {
  const r = new Redactor(["correct-horse-battery-staple"]);
  const err = classifyFailure({ stderr: "error: PULUMI_CONFIG_PASSPHRASE=correct-horse-battery-staple AKIAIOSFODNN7EXAMPLE" }, r);
  t.notMatch(err.detail, /correct-horse|AKIAIOSFODNN7EXAMPLE/);
});

t.test("pending operations: the URNs they name", async (t) => {
  t.same(pendingOperationUrns(stderr("pending-operations.txt")), [
    "urn:pulumi:dev-foundation::goldenpath::goldenpath:aws:Database$aws:rds/instance:Instance::dev-postgres",
    "urn:pulumi:dev-foundation::goldenpath::goldenpath:aws:Cluster$eks:index:Cluster$aws:eks/cluster:Cluster::dev-eksCluster",
  ]);
  t.same(pendingOperationUrns("  * creating urn:pulumi:dev::app::aws:ec2/instance:Instance::web\n"), ["urn:pulumi:dev::app::aws:ec2/instance:Instance::web"]);
});

t.test("a locked stack is retried with backoff a bounded number of times, then STACK_LOCKED", async (t) => {
  const waits: number[] = [];
  let calls = 0;
  const locked = () => classifyFailure({ stderr: stderr("concurrent-update-diy.txt") });
  const err = await withLockRetry(
    async () => {
      calls++;
      throw locked();
    },
    { retries: 3, baseDelayMs: 100, sleep: async (ms) => void waits.push(ms) },
  ).catch((e) => e);
  t.equal(calls, 4);
  t.same(waits, [100, 200, 400]);
  t.ok(err instanceof EngineError);
  t.equal(err.code, "STACK_LOCKED");
  t.match(err.message, /still locked after 4 attempts/);
});

t.test("the lock retry succeeds once the lock is released, and does not retry other errors", async (t) => {
  let calls = 0;
  const v = await withLockRetry(
    async () => {
      if (++calls < 3) throw classifyFailure({ stderr: stderr("concurrent-update-cloud.txt") });
      return "done";
    },
    { sleep: async () => {} },
  );
  t.equal(v, "done");
  let other = 0;
  await withLockRetry(
    async () => {
      other++;
      throw classifyFailure({ stderr: stderr("credentials-expired.txt") });
    },
    { sleep: async () => {} },
  ).catch(() => {});
  t.equal(other, 1);
});

t.test("the no-CLI error names the CLI and the install page", async (t) => {
  const e = cliMissingError();
  t.equal(e.code, "ENGINE_UNAVAILABLE");
  t.match(e.message, /^Pulumi CLI not found on PATH/);
  t.match(e.fix, INSTALL_URL);
});
