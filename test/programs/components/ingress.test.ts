import t from "tap";
import { installMocks, foundation, promiseOf } from "../fixtures/platform-inputs.js";

const h = await installMocks();
const { PlatformIngress, LOAD_BALANCER_CONTROLLER_CHART, albAnnotations } = await import("../../../programs/components/ingress.js");
const { LOAD_BALANCER_SA } = await import("../../../programs/components/irsa-role.js");

const CERT = "arn:aws:acm:eu-west-2:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100";
const ZONE = "Z0123456789ABCDEFGHIJ";
const ing = new PlatformIngress(
  "ing",
  {
    clusterName: foundation.clusterName,
    region: foundation.region,
    vpcId: foundation.vpcId,
    roleArn: foundation.loadBalancerControllerRoleArn,
    scheme: "internet-facing",
    certificateArn: CERT,
    route53ZoneId: ZONE,
    groupName: "goldenpath-dev",
    routes: [
      { app: "keycloak", namespace: "keycloak", hostname: "auth.dev.example.com", serviceName: "keycloak-http", servicePort: 80, healthCheckPath: "/realms/master" },
      { app: "backstage", namespace: "backstage", hostname: "portal.dev.example.com", serviceName: "backstage", servicePort: 7007, healthCheckPath: "/.backstage/health/v1/readiness" },
    ],
  },
  { transformations: [h.capture] },
);
await h.settle();
await promiseOf(ing.urn);
await Promise.all(Object.values(ing.records).map((r) => promiseOf(r.urn)));

t.test("the AWS Load Balancer Controller is installed with IRSA, cluster name, region and VPC at a pinned version", async (t) => {
  const r = h.one("kubernetes:helm.sh/v3:Release");
  t.equal(r.inputs.namespace, LOAD_BALANCER_SA.namespace);
  t.equal(r.inputs.chart, "aws-load-balancer-controller");
  t.equal(r.inputs.version, LOAD_BALANCER_CONTROLLER_CHART.version);
  t.equal(r.inputs.values.clusterName, foundation.clusterName);
  t.equal(r.inputs.values.region, foundation.region);
  t.equal(r.inputs.values.vpcId, foundation.vpcId);
  t.equal(r.inputs.values.serviceAccount.name, LOAD_BALANCER_SA.name);
  t.equal(r.inputs.values.serviceAccount.annotations["eks.amazonaws.com/role-arn"], foundation.loadBalancerControllerRoleArn);
});

t.test("one ALB Ingress per app on its hostname, TLS from the certificate with a redirect, after the controller", async (t) => {
  for (const [app, host, svc, port] of [["keycloak", "auth.dev.example.com", "keycloak-http", 80], ["backstage", "portal.dev.example.com", "backstage", 7007]] as const) {
    const i = h.one("kubernetes:networking.k8s.io/v1:Ingress", `ing-${app}`);
    t.equal(i.inputs.spec.ingressClassName, "alb");
    t.equal(i.inputs.spec.rules[0].host, host);
    t.same(i.inputs.spec.rules[0].http.paths[0].backend.service, { name: svc, port: { number: port } });
    const a = i.inputs.metadata.annotations;
    t.equal(a["alb.ingress.kubernetes.io/scheme"], "internet-facing");
    t.equal(a["alb.ingress.kubernetes.io/target-type"], "ip");
    t.equal(a["alb.ingress.kubernetes.io/certificate-arn"], CERT);
    t.equal(a["alb.ingress.kubernetes.io/ssl-redirect"], "443");
    t.same(JSON.parse(a["alb.ingress.kubernetes.io/listen-ports"]), [{ HTTP: 80 }, { HTTPS: 443 }]);
    t.equal(a["alb.ingress.kubernetes.io/group.name"], "goldenpath-dev");
    t.ok(h.captured.get(`ing-${app}`)!.dependsOn.includes(ing.release), `${app} Ingress waits for the controller's webhook`);
  }
});

t.test("Route53 alias records point each hostname at the ALB from the Ingress status", async (t) => {
  for (const [app, host] of [["keycloak", "auth.dev.example.com"], ["backstage", "portal.dev.example.com"]]) {
    const r = h.one("aws:route53/record:Record", `ing-${app}-dns`);
    t.equal(r.inputs.zoneId, ZONE);
    t.equal(r.inputs.name, host);
    t.equal(r.inputs.type, "A");
    t.equal(r.inputs.aliases[0].name, `k8s-goldenpath-ing-${app}.eu-west-2.elb.amazonaws.com`);
    t.equal(r.inputs.aliases[0].zoneId, "ZHURV8PSTC4K8");
  }
});

t.test("without a certificate the ALB listens on HTTP only, with no redirect", async (t) => {
  const a = albAnnotations({ scheme: "internal", groupName: "g" }, "/");
  t.same(JSON.parse(a["alb.ingress.kubernetes.io/listen-ports"]), [{ HTTP: 80 }]);
  t.notOk("alb.ingress.kubernetes.io/certificate-arn" in a);
  t.notOk("alb.ingress.kubernetes.io/ssl-redirect" in a);
  t.equal(a["alb.ingress.kubernetes.io/scheme"], "internal");
});

t.test("two apps on one hostname are refused", async (t) => {
  const r = { namespace: "n", hostname: "same.example.com", serviceName: "s", servicePort: 80, healthCheckPath: "/" };
  t.throws(
    () => new PlatformIngress("dup", { clusterName: "c", region: "eu-west-2", vpcId: "v", roleArn: "r", scheme: "internal", groupName: "g", routes: [{ app: "a", ...r }, { app: "b", ...r }] }),
    /used by two apps/,
  );
});
