/**
 * Static checks of the Dockerfile (parsed with dockerfile-ast): the conventions that keep the
 * image small, non-root, secret-free and able to shut down gracefully as PID 1.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Copy, DockerfileParser, Instruction } from 'dockerfile-ast';
import { APP_NODE_FLAGS } from '../harness/processes';

const repoRoot = path.resolve(__dirname, '..', '..');
const dockerfile = DockerfileParser.parse(fs.readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'));

interface Stage {
  name: string | null;
  image: string | null;
  instructions: Instruction[];
}

/** Instructions grouped by build stage (a stage starts at its FROM). */
function stages(): Stage[] {
  const result: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'FROM') {
      const from = dockerfile.getFROMs().find((f) => f.getRange().start.line === instruction.getRange().start.line)!;
      result.push({ name: from.getBuildStage(), image: from.getImage(), instructions: [] });
    } else if (result.length > 0) {
      result[result.length - 1].instructions.push(instruction);
    }
  }
  return result;
}

function runCommands(stage: Stage): string[] {
  return stage.instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '');
}

function isExecForm(instruction: Instruction): boolean {
  return (instruction.getArgumentsContent() ?? '').trim().startsWith('[');
}

/** Arguments of an exec-form instruction, e.g. ENTRYPOINT ["tini", "--"] -> ["tini", "--"]. */
function execArgs(instruction: Instruction): string[] {
  return JSON.parse(instruction.getArgumentsContent() ?? '[]');
}

const allStages = stages();
const finalStage = allStages[allStages.length - 1];

/** Resolves ${VAR} in FROM from the global ARG defaults. */
function resolvedImage(stage: Stage): string {
  return (stage.image ?? '').replace(/\$\{?(\w+)\}?/g, (_m, name: string) => {
    const arg = dockerfile.getInitialARGs().find((a) => a.getProperty()?.getName() === name);
    return arg?.getProperty()?.getValue() ?? '';
  });
}

describe('Dockerfile', () => {
  it('is a multi-stage build on node:26-trixie-slim (Node 26, the active LTS line)', () => {
    expect(allStages.length).toBeGreaterThanOrEqual(2);
    for (const stage of allStages) expect(resolvedImage(stage)).toBe('node:26-trixie-slim');
  });

  it('installs the exact lockfile with npm ci and builds with npm run build', () => {
    const build = allStages[0];
    const copied = build.instructions.filter((i) => i.getKeyword() === 'COPY').map((i) => i.getArgumentsContent());
    expect(copied.some((c) => c?.includes('package-lock.json'))).toBe(true);
    const runs = runCommands(build);
    expect(runs.some((r) => /\bnpm ci\b/.test(r) && !r.includes('--omit=dev'))).toBe(true);
    expect(runs.some((r) => /\bnpm run build\b/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm install\b/.test(r))).toBe(false);
  });

  it('gives the final stage production dependencies only, plus the compiled dist/', () => {
    const runs = runCommands(finalStage);
    expect(runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm (ci|install)\b/.test(r) && !r.includes('--omit=dev'))).toBe(false);
    const copies = finalStage.instructions
      .filter((i): i is Copy => i instanceof Copy)
      .map((c) => ({ from: c.getFromFlag()?.getValue() ?? null, args: c.getArgumentsContent() ?? '' }));
    expect(copies).toContainEqual({ from: allStages[0].name, args: '/app/dist ./dist' });
    // Sources and dev tooling never reach the final image.
    expect(copies.some((c) => /\bsrc\b|node_modules/.test(c.args))).toBe(false);
  });

  it('runs as a non-root user', () => {
    const users = finalStage.instructions.filter((i) => i.getKeyword() === 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = (users[users.length - 1].getArgumentsContent() ?? '').split(':')[0];
    expect(['root', '0', '']).not.toContain(user);
    // Numeric, so kubelet can verify runAsNonRoot without a user database.
    expect(user).toMatch(/^[1-9][0-9]*$/);
    // USER comes before the process starts: nothing after it switches back.
    const lastUser = finalStage.instructions.lastIndexOf(users[users.length - 1]);
    const cmd = finalStage.instructions.findIndex((i) => i.getKeyword() === 'CMD');
    expect(lastUser).toBeLessThan(cmd);
  });

  it('sets NODE_ENV=production and exposes port 3000', () => {
    const envs = finalStage.instructions.filter((i) => i.getKeyword() === 'ENV');
    const props = dockerfile
      .getENVs()
      .filter((e) => envs.some((i) => i.getRange().start.line === e.getRange().start.line));
    const values = Object.fromEntries(props.flatMap((e) => e.getProperties()).map((p) => [p.getName(), p.getValue()]));
    expect(values.NODE_ENV).toBe('production');
    const expose = finalStage.instructions.find((i) => i.getKeyword() === 'EXPOSE');
    expect(expose?.getArgumentsContent()).toBe('3000');
  });

  it('bakes no secret into any ENV or ARG', () => {
    const suspicious = /SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE|DATABASE_URL|REDIS_URL|SMTP_URL/i;
    const defined = [...dockerfile.getENVs(), ...dockerfile.getARGs(), ...dockerfile.getInitialARGs()].flatMap((i) =>
      i.getProperties(),
    );
    expect(defined.length).toBeGreaterThan(0);
    for (const property of defined) {
      expect({ name: property.getName(), suspicious: suspicious.test(property.getName()) }).toEqual({
        name: property.getName(),
        suspicious: false,
      });
      expect(property.getValue() ?? '').not.toMatch(/:\/\/[^/\s]*:[^@\s]*@/); // credentials in a URL
    }
  });

  it('starts node through tini in exec form, so SIGTERM reaches the app', () => {
    const entrypoints = finalStage.instructions.filter((i) => i.getKeyword() === 'ENTRYPOINT');
    const cmds = finalStage.instructions.filter((i) => i.getKeyword() === 'CMD');
    expect(entrypoints).toHaveLength(1);
    expect(cmds).toHaveLength(1);
    expect(isExecForm(entrypoints[0])).toBe(true);
    expect(isExecForm(cmds[0])).toBe(true);
    expect(execArgs(entrypoints[0])).toEqual(['/usr/bin/tini', '--']);
    expect(execArgs(cmds[0])).toEqual(['node', ...APP_NODE_FLAGS, 'dist/main.js']);
    expect(runCommands(finalStage).some((r) => /apt-get install\b.*\btini\b/.test(r))).toBe(true);
  });

  it('runs the app with the same node flags wherever it is started', () => {
    // The heap flags change CPU per request and memory (docs/operations.md, "Heap size"): the
    // image, `npm start`, the README's command, the test harness and the bench must agree.
    expect(APP_NODE_FLAGS).toContain('--max-semi-space-size=16');
    const command = ['node', ...APP_NODE_FLAGS, 'dist/main.js'].join(' ');
    const scripts = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect([scripts.start, scripts['start:prod']]).toEqual([command, command]);
    const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const started = readme.split('\n').filter((l) => /^node (?:-\S+ )*dist\/main\.js\b/.test(l));
    expect(started.length).toBeGreaterThan(0);
    for (const line of started) expect(line.startsWith(`${command} `)).toBe(true);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bench is plain CommonJS
    const bench = require(path.join(repoRoot, 'bench', 'lib', 'procs.js')) as { REPLICA_NODE_FLAGS: string[] };
    expect(bench.REPLICA_NODE_FLAGS).toEqual(APP_NODE_FLAGS);
  });

  it('keeps secrets and local state out of the build context', () => {
    const ignored = fs
      .readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const entry of ['.env', '.env.*', 'node_modules', 'dist', '.data', '.git']) expect(ignored).toContain(entry);
    // What the build needs must not be ignored.
    for (const needed of ['src', 'package.json', 'package-lock.json', 'tsconfig.json'])
      expect(ignored).not.toContain(needed);
  });
});
