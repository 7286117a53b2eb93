import t from "tap";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ECRClient } from "@aws-sdk/client-ecr";
import { EcrCredentials, chainCredentials, parseEcrHost, StaticCredentials } from "../../../server/mirror/credentials.js";

const ECR = "123456789012.dkr.ecr.eu-west-2.amazonaws.com";

t.test("ECR hosts are recognised with account and region", async (t) => {
  t.same(parseEcrHost(ECR), { accountId: "123456789012", region: "eu-west-2" });
  t.equal(parseEcrHost("quay.io"), undefined);
});

t.test("EcrCredentials decodes GetAuthorizationToken and caches it until near expiry", async (t) => {
  // A local endpoint speaking ECR's JSON protocol, so the real SDK client is exercised.
  const calls: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      calls.push(String(req.headers["x-amz-target"]));
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
      res.end(JSON.stringify({
        authorizationData: [{
          authorizationToken: Buffer.from("AWS:ecr-token-value").toString("base64"),
          expiresAt: 2_000_000_000,
          proxyEndpoint: `https://${ECR}`,
        }],
      }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const client = new ECRClient({
    region: "eu-west-2",
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "not-a-real-secret" },
  });
  let now = 1_900_000_000_000;
  const ecr = new EcrCredentials({ client, now: () => now });

  t.same(await ecr.credentialsFor(ECR), { username: "AWS", password: "ecr-token-value" });
  t.same(calls, ["AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"]);
  await ecr.credentialsFor(ECR);
  t.equal(calls.length, 1, "cached");
  now = 2_000_000_000_000 - 60_000; // within the 5-minute refresh margin
  await ecr.credentialsFor(ECR);
  t.equal(calls.length, 2, "refreshed before expiry");
  t.equal(await ecr.credentialsFor("quay.io"), undefined, "only answers for ECR hosts");
});

t.test("chained providers answer in order", async (t) => {
  const chain = chainCredentials(new StaticCredentials({ "a.io": { username: "1", password: "x" } }), new StaticCredentials({ "a.io": { username: "2", password: "y" }, "b.io": { username: "3", password: "z" } }));
  t.equal((await chain.credentialsFor("a.io"))?.username, "1");
  t.equal((await chain.credentialsFor("b.io"))?.username, "3");
  t.equal(await chain.credentialsFor("c.io"), undefined);
});
