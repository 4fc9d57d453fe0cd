/**
 * Setup of the `nest-unit` Jest project: NestJS 12 is ESM-only and Jest 29's module registry
 * cannot load ES modules, but Node's own `require` can (require(esm), on by default since Node
 * 20.19 / 22.12). So the Nest packages, and the libraries whose state Nest shares with the code
 * under test (class-validator's metadata storage, reflect-metadata), are loaded by Node's require,
 * once per process, and handed to the test file as if Jest had loaded them. The test's own
 * files (src/**) are still compiled and loaded by Jest.
 */
// Jest replaces `module`'s createRequire with its own; process.getBuiltinModule gives Node's.
const { createRequire } = process.getBuiltinModule('node:module') as typeof import('node:module');
const nativeRequire = createRequire(__filename);

const packageJson = nativeRequire('../../package.json') as Record<'dependencies' | 'devDependencies', Record<string, string>>;
const shared = ['class-validator', 'class-transformer', 'rxjs', 'reflect-metadata'];
const nestPackages = Object.keys({ ...packageJson.dependencies, ...packageJson.devDependencies }).filter(
  (name) => name.startsWith('@nestjs/') && name !== '@nestjs/cli',
);
for (const name of [...nestPackages, ...shared]) {
  jest.mock(name, () => nativeRequire(name));
}
