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
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/harness/global-setup.ts',
      globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
      slowTestThreshold: 30,
    },
  ],
};
