/**
 * The service as one plugin (fastify/demo style): external plugins
 * (swagger), then the services as named plugins (store, engine, operations,
 * auth), then the error and not-found handlers, then the routes. `main.ts`
 * and the tests build Fastify with `serverOptions` and register this.
 */
import { randomUUID } from "node:crypto";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import fp from "fastify-plugin";
import {
  createJsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import { authPlugin } from "./auth/plugin.js";
import { ensureAdminToken } from "./auth/bootstrap.js";
import type { Config } from "./config.js";
import { enginePlugin } from "./engine/index.js";
import type { Engine } from "./engine/port.js";
import { problem, problemErrorHandler } from "./errors.js";
import { loggerOptions } from "./logger.js";
import { operationsPlugin } from "./operations/plugin.js";
import { driftPlugin, type DriftTuning } from "./drift/plugin.js";
import { driftRoutes } from "./routes/drift.js";
import { webhookRoutes } from "./routes/webhooks.js";
import { preflightRoutes } from "./routes/preflight.js";
import { doctorRoutes } from "./routes/doctor.js";
import { environmentRoutes } from "./routes/environments.js";
import { healthRoutes } from "./routes/health.js";
import { operationRoutes } from "./routes/operations.js";
import { outputRoutes } from "./routes/outputs.js";
import { planRoutes } from "./routes/plan.js";
import { tokenRoutes } from "./routes/tokens.js";
import { storePlugin } from "./store/plugin.js";
import type { SimulateEngine } from "./engine/simulate.js";

/** Request bodies above this answer 413 (a spec is a few KiB). */
export const BODY_LIMIT = 256 * 1024;

declare module "fastify" {
  interface FastifyInstance {
    config: Config;
  }
}

export interface AppOptions {
  config: Config;
  /** An engine at the port instead of `createEngine(config)` (tests). */
  engine?: Engine;
  /** false: queue workers do not start; tests drive `app.queue.runOnce()`. */
  startWorkers?: boolean;
  sweepIntervalMs?: number;
  sse?: { heartbeatMs?: number; pollMs?: number };
  /** Drift scheduler and webhook timing (tests shorten retries and jitter). */
  drift?: DriftTuning;
}

export function serverOptions(config: Pick<Config, "logLevel">, logger?: FastifyServerOptions["logger"]): FastifyServerOptions {
  return {
    logger: logger ?? loggerOptions(config.logLevel),
    bodyLimit: BODY_LIMIT,
    genReqId: () => randomUUID(),
    // Start-up installs pg-boss and may start the embedded PostgreSQL: seconds, more on a busy host.
    pluginTimeout: 120_000,
    // Fastify's own 4xx errors still go through our error handler.
    return503OnClosing: true,
  };
}

export const serviceApp = fp(
  async (app: FastifyInstance, opts: AppOptions) => {
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    app.decorate("config", opts.config);
    // JSON only: a text/plain body is refused (415) rather than parsed as a string.
    app.removeContentTypeParser(["text/plain"]);

    await app.register(swagger, {
      openapi: {
        openapi: "3.1.0",
        info: {
          title: "goldenpath",
          version: "1.0.0",
          description: "Provision an internal developer platform on AWS per environment. Errors are RFC 9457 problem+json.",
        },
        components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
        security: [{ bearer: [] }],
      },
      transform: createJsonSchemaTransform({ skipList: ["/docs", "/docs/*", "/docs/json", "/docs/yaml", "/docs/static/*", "/docs/initOAuth", "/docs/uiConfig", "/openapi.json"] }),
      transformObject: jsonSchemaTransformObject,
    });
    await app.register(swaggerUi, { routePrefix: "/docs" });

    await app.register(storePlugin, { config: opts.config });
    await app.register(enginePlugin, { config: opts.config, engine: opts.engine });
    await app.register(operationsPlugin, { config: opts.config, startWorkers: opts.startWorkers, sweepIntervalMs: opts.sweepIntervalMs });
    await app.register(driftPlugin, { config: opts.config, startWorkers: opts.startWorkers, tuning: opts.drift });
    const admin = await ensureAdminToken(app.db, opts.config.dataDir, opts.config.adminToken);
    if (admin.file) app.log.info({ file: admin.file, created: admin.created }, "admin token file (the value is never logged)");
    await app.register(authPlugin);

    app.setErrorHandler(problemErrorHandler);
    app.setNotFoundHandler((req, reply) => {
      reply.code(404).type("application/problem+json").send(problem(404, "NOT_FOUND", `no route ${req.method} ${req.url.split("?")[0]}`, req));
    });
    app.addHook("onSend", async (req, reply) => {
      reply.header("x-request-id", String(req.id));
    });

    const zapp = app.withTypeProvider<ZodTypeProvider>();
    zapp.get("/openapi.json", { config: { auth: "public" }, schema: { hide: true } }, async () => app.swagger());
    await app.register(healthRoutes);
    await app.register(environmentRoutes);
    await app.register(operationRoutes, opts.sse ?? {});
    await app.register(outputRoutes);
    await app.register(tokenRoutes);
    await app.register(planRoutes);
    await app.register(driftRoutes);
    await app.register(webhookRoutes);
    await app.register(preflightRoutes);
    await app.register(doctorRoutes, {
      config: opts.config,
      checkDatabase: async () => {
        await app.db.query("select 1");
      },
    });
    if (app.engine.name === "simulate") {
      // Failure injection and out-of-band changes exist only with the simulate engine.
      const { simulateRoutes } = await import("./routes/simulate.js");
      await app.register(simulateRoutes, { engine: app.engine as SimulateEngine });
    }
  },
  { name: "goldenpath-app" },
);

/** Build the whole service (main and tests). */
export async function buildApp(opts: AppOptions & { logger?: FastifyServerOptions["logger"] }): Promise<FastifyInstance> {
  const app = Fastify(serverOptions(opts.config, opts.logger));
  await app.register(serviceApp, opts);
  return app;
}
