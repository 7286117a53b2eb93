import t from "tap";
import { criticalPath, stepSeconds } from "../../../server/engine/durations.js";
import { engine, run, spec } from "./simulate-helpers.js";

// Each operation is a child process loading the Pulumi SDK: slow on a busy machine.
t.setTimeout(600_000);

t.test("modelled durations: multi-AZ RDS and Keycloak take longer, updates are shorter than creates, components are free", async (t) => {
  t.equal(stepSeconds("aws:eks/cluster:Cluster", "create"), 600);
  t.ok(stepSeconds("aws:rds/instance:Instance", "create", { multiAz: true }) > stepSeconds("aws:rds/instance:Instance", "create", { multiAz: false }));
  t.ok(stepSeconds("aws:rds/instance:Instance", "update") < stepSeconds("aws:rds/instance:Instance", "create"));
  t.ok(stepSeconds("kubernetes:helm.sh/v3:Release", "create", { chart: "keycloakx" }) > stepSeconds("kubernetes:helm.sh/v3:Release", "create", { chart: "external-secrets" }));
  t.equal(stepSeconds("goldenpath:aws:Database", "create", {}, false), 0);
  t.equal(stepSeconds("aws:iam/role:Role", "same"), 0);
});

t.test("independent resources overlap: wall time follows the critical path, well below the serial sum", async (t) => {
  const timeScale = 0.005; // EKS control plane 3 s, RDS 2.4 s
  const e = engine(t, { timeScale });
  await e.ensureReady(); // a warm child: the SDK loads before the clock starts
  const s = spec({}, "timing");
  let first = 0;
  let last = 0;
  await run(e, "up", s, "foundation", {
    onEvent: (ev) => {
      if (ev.kind === "resource-pre" && !first) first = Date.now();
      if (ev.kind === "resource-outputs") last = Date.now();
    },
  });
  const stack = e.cloud.load(s.name, "foundation");
  const cp = criticalPath(stack.resources.map((r) => ({ ...r, inputs: r.recorded.inputs })));
  const wall = (last - first) / 1000 / timeScale; // in modelled seconds
  t.comment(`wall ${wall.toFixed(0)} s (modelled), critical path ${cp.seconds} s, serial ${cp.serialSeconds} s: ${cp.chain.map((u) => u.split("::").pop()).join(" → ")}`);
  t.same(cp.chain.slice(-2).map((u) => u.split("::").pop()), ["cluster", "general"], "the chain ends control plane → node group");
  t.ok(wall >= cp.seconds * 0.98, "no faster than the critical path");
  t.ok(wall < cp.serialSeconds * 0.85, "well below a serial run");
});
