/**
 * Three projects:
 * - `unit`: pure logic (`*.spec.ts`), may mock.
 * - `nest-unit`: guards, pipes, filters and module wiring in a Nest testing module
 *   (`src/**\/*.nest-spec.ts`, @nestjs/testing, Fastify `inject`, no network). NestJS 12 is
 *   ESM-only and Jest 29 cannot load ES modules itself, so test/nest-unit/setup.ts hands the test
 *   the packages as loaded by Node's own require(esm), in one shared context
 *   (jest-environment-node-single-context) so class-validator and Nest see the same classes.
 *   Needs a Node with require(esm) (20.19+, 22.12+, 24): elsewhere it is left out, and says so.
 * - `integration`: real PostgreSQL and Redis started by the global setup; app instances as child
 *   processes of dist/main.js, driven over HTTP and Socket.IO.
 * Test files are compiled to CommonJS by ts-jest.
 */
const tsJest = [
  'ts-jest',
  {
    tsconfig: {
      module: 'commonjs',
      moduleResolution: 'node10',
      ignoreDeprecations: '6.0',
      resolvePackageJsonExports: false,
      esModuleInterop: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      target: 'ES2022',
      strict: true,
      types: ['node', 'jest'],
      isolatedModules: true,
      rootDir: '.',
    },
  },
];

// .ci/run runs `npm test` once per Node and names the one it means: refuse any other (a PATH
// mix-up would otherwise test the wrong runtime: app processes are spawned with process.execPath).
const expectedNode = process.env.BULWARK_TEST_NODE;
if (expectedNode && process.version !== expectedNode) {
  throw new Error(`jest runs on Node ${process.version} (${process.execPath}) but BULWARK_TEST_NODE=${expectedNode}`);
}
process.stderr.write(`jest: Node ${process.version} (${process.execPath})\n`);

const canRequireEsm = process.features.require_module === true;
if (!canRequireEsm) {
  process.stderr.write(
    `jest: project nest-unit (src/**/*.nest-spec.ts) EXCLUDED: Node ${process.version} cannot require() ES modules ` +
      '(NestJS 12 is ESM-only; require(esm) needs Node 20.19+, 22.12+ or 24). Unit and integration projects run.\n',
  );
}

/**
 * ESM-only dependencies of test helpers, compiled to CommonJS like our own files (Jest 29 on
 * Node 20 cannot require ESM): openapi-backend's $ref resolver.
 */
const ESM_DEPENDENCIES = ['@apidevtools/json-schema-ref-parser'];
const esmToCommonJs = ['ts-jest', { tsconfig: { ...tsJest[1].tsconfig, allowJs: true, checkJs: false } }];

module.exports = {
  testTimeout: 120000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
    },
    ...(canRequireEsm
      ? [
          {
            displayName: 'nest-unit',
            testEnvironment: 'jest-environment-node-single-context',
            transform: { '^.+\\.ts$': tsJest },
            setupFilesAfterEnv: ['<rootDir>/test/nest-unit/setup.ts'],
            testMatch: ['<rootDir>/src/**/*.nest-spec.ts'],
          },
        ]
      : []),
    {
      displayName: 'integration',
      testEnvironment: '<rootDir>/test/harness/integration-environment.ts',
      testMatch: ['<rootDir>/test/**/*.int-spec.ts'],
      transform: {
        '^.+\\.ts$': tsJest,
        [`/node_modules/(${ESM_DEPENDENCIES.join('|')})/.+\\.js$`]: esmToCommonJs,
      },
      transformIgnorePatterns: [`/node_modules/(?!(${ESM_DEPENDENCIES.join('|')})/)`],
      globalSetup: '<rootDir>/test/harness/global-setup.ts',
      globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
      slowTestThreshold: 30,
    },
  ],
};
