/**
 * Two projects: `unit` (pure logic, may mock) and `integration` (real PostgreSQL and Redis
 * started by the global setup; app instances as child processes of dist/main.js).
 * Test files are compiled to CommonJS by ts-jest. NestJS 12 packages are ESM-only and Jest cannot
 * require them on Node 20, so tests never import @nestjs/*: they drive the built app over HTTP.
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
    {
      displayName: 'integration',
      testEnvironment: 'node',
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
