'use strict';
/** Anchor: a bare Fastify hello-world on the same machine (`node fastify-hello.js <port>`). */
const fastify = require('fastify')({ logger: false });

fastify.get('/', async () => ({ status: 'ok' }));
fastify.listen({ port: Number(process.argv[2]), host: '127.0.0.1' }).then(() => process.stdout.write('ready\n'));
process.on('SIGTERM', () => fastify.close().then(() => process.exit(0)));
