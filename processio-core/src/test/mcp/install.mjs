// Installs the tests' MCP servers into the current directory (target/mcp, where the build has
// copied package.json and package-lock.json) with `npm ci`, unless node_modules already holds
// exactly what the lockfile pins. `npm ci` always starts from an empty node_modules, which costs
// several seconds on every `mvn test`; this check costs milliseconds.
//
// Usage: node install.mjs [npm executable]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const npm = process.argv[2] ?? 'npm';

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

// npm writes node_modules/.package-lock.json after each install: what it installed, by path.
function upToDate() {
  const wanted = readJson('package-lock.json');
  const installed = readJson('node_modules/.package-lock.json');
  if (wanted === null || installed === null) return false;
  const pins = Object.entries(wanted.packages).filter(([path]) => path !== '');
  if (Object.keys(installed.packages ?? {}).length !== pins.length) return false;
  return pins.every(([path, pin]) => {
    const have = installed.packages?.[path];
    return have !== undefined
      && have.version === pin.version
      && have.integrity === pin.integrity
      && existsSync(`${path}/package.json`);
  });
}

if (upToDate()) {
  console.log('MCP test servers: node_modules matches package-lock.json, nothing to install');
} else {
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--prefer-offline'], {
    stdio: 'inherit',
    shell: process.platform === 'win32', // npm is npm.cmd there
  });
  if (result.error) {
    console.error(`MCP test servers: cannot run ${npm}: ${result.error.message}`);
    process.exit(1);
  }
  process.exit(result.status ?? 1);
}
