/**
 * Prints the OpenAPI document (the one served at /api/docs-json) without starting the server:
 * `node dist/openapi.js > openapi.json`; with `--asyncapi`, the AsyncAPI document of the
 * Socket.IO API (/api/docs/asyncapi.json) instead. Nest's preview mode wires the modules without
 * instantiating providers, so nothing connects to PostgreSQL or Redis; it takes well under a second.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppConfig } from './config/config.service';
import { AppModule } from './app.module';
import { buildOpenApiDocument } from './infra/http/openapi/openapi-document';
import { buildAsyncApiDocument } from './auctions/asyncapi';

async function printOpenApiDocument(): Promise<void> {
  const app = await NestFactory.create(AppModule.register(AppConfig.load()), new FastifyAdapter(), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  const openapi = buildOpenApiDocument(app);
  const document = process.argv.includes('--asyncapi') ? buildAsyncApiDocument(openapi) : openapi;
  process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  await app.close();
}

printOpenApiDocument().catch((err: unknown) => {
  process.stderr.write(`could not build the OpenAPI document: ${String(err)}\n`);
  process.exit(1);
});
