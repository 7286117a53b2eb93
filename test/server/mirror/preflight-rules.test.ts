import t from "tap";
import { checkImageRules, type PreflightInput } from "../../../server/mirror/preflight.js";

const nodeGroups: PreflightInput["nodeGroups"] = [{ name: "general", architecture: "amd64" }];

t.test("Bitnami Keycloak chart with the official image is an error", async (t) => {
  const findings = checkImageRules({
    images: { keycloak: { source: "quay.io/keycloak/keycloak:26.0.5" } },
    nodeGroups,
    charts: { keycloak: "bitnami" },
  });
  const error = findings.find((f) => f.rule === "keycloak-image-layout");
  t.ok(error, "reported");
  t.equal(error?.severity, "error");
  t.equal(error?.image, "quay.io/keycloak/keycloak:26.0.5");
  t.match(error?.message, /\/opt\/bitnami\/scripts/);
});

t.test("Bitnami-layout images pass with the Bitnami chart", async (t) => {
  for (const source of ["bitnamilegacy/keycloak:26.1.1", "public.ecr.aws/bitnami/keycloak:26.1.1", "docker.io/bitnami/keycloak:26.1.1"]) {
    const findings = checkImageRules({ images: { keycloak: { source } }, nodeGroups, charts: { keycloak: "bitnami" } });
    t.notOk(findings.some((f) => f.rule === "keycloak-image-layout"), source);
  }
});

t.test("the keycloakx chart with a Bitnami image is an error too", async (t) => {
  const findings = checkImageRules({ images: { keycloak: { source: "bitnamilegacy/keycloak:26.1.1" } }, nodeGroups });
  t.ok(findings.some((f) => f.rule === "keycloak-image-layout" && f.severity === "error"));
});

t.test("docker.io/bitnami sources warn that versioned tags moved to bitnamilegacy", async (t) => {
  const findings = checkImageRules({
    images: { keycloak: { source: "bitnami/keycloak:26.1.1" } },
    nodeGroups,
    charts: { keycloak: "bitnami" },
  });
  const warning = findings.find((f) => f.rule === "bitnami-legacy-tags");
  t.equal(warning?.severity, "warning");
  t.match(warning?.message, /bitnamilegacy/);
  t.match(warning?.message, /docker\.io\/bitnamilegacy\/keycloak:26\.1\.1/, "suggests the exact replacement");
  t.notOk(findings.some((f) => f.severity === "error"), "no error with the Bitnami chart");
  const other = checkImageRules({ images: { keycloak: { source: "public.ecr.aws/bitnami/keycloak:26.1.1" } }, nodeGroups, charts: { keycloak: "bitnami" } });
  t.notOk(other.some((f) => f.rule === "bitnami-legacy-tags"), "public.ecr.aws is not affected");
});

t.test("latest and invalid references are reported", async (t) => {
  const findings = checkImageRules({
    images: { backstage: { source: "ghcr.io/org/backstage" }, keycloak: { source: "Not A Ref" } },
    nodeGroups,
  });
  t.ok(findings.some((f) => f.app === "backstage" && f.rule === "image-mutable-tag" && f.severity === "warning"));
  t.ok(findings.some((f) => f.app === "keycloak" && f.rule === "image-reference" && f.severity === "error"));
});
