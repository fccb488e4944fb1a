import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleApp, PACKAGE_DIR } from './bundle.js';

const PACKAGES = resolve(PACKAGE_DIR, '..');
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'mcp-auth-runtime-bundle-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('the Fetch path bundled for no platform (esbuild neutral)', () => {
  let inputs: string[];
  let imports: { path: string; kind: string; external?: boolean }[];
  let code: string;

  beforeAll(async () => {
    const outfile = join(scratch, 'app.mjs');
    const { metafile } = await bundleApp(outfile);
    inputs = Object.keys(metafile.inputs).map((p) => resolve(PACKAGE_DIR, p));
    imports = Object.values(metafile.outputs).flatMap((o) => o.imports);
    code = await readFile(outfile, 'utf8');
  });

  it('is built from the packages dist files, never their sources', () => {
    const ours = inputs
      .filter((p) => p.startsWith(PACKAGES) && !p.includes('node_modules'))
      .map((p) => relative(PACKAGES, p))
      .sort();
    expect(ours).toEqual([
      'cache/dist/index.js',
      'discovery/dist/index.js',
      'gate/dist/fetch.js',
      'gate/dist/index.js',
      'runtime-tests/fixtures/app.js',
      'validator/dist/fetch.js',
      'validator/dist/index.js',
    ]);
  });

  it('takes only jose and oauth4webapi as third-party code', () => {
    const thirdParty = new Set(
      inputs
        .filter((p) => p.includes('node_modules'))
        .map((p) => p.slice(p.lastIndexOf('node_modules/') + 13).split('/')[0]),
    );
    expect([...thirdParty].sort()).toEqual(['jose', 'oauth4webapi']);
  });

  it('imports no Node built-in, statically or dynamically', () => {
    // Nothing is left outside the bundle (redisStore loads node-redis through a specifier bundlers
    // do not follow, and the Fetch path never calls it).
    expect(imports).toEqual([]);
    expect(code).not.toMatch(/\bfrom\s*["'](node:|crypto["'])/);
    expect(code).not.toMatch(/\bimport\s*\(\s*["']node:/);
  });

  it('fails to build when something on the path imports node:crypto (the check can fail)', async () => {
    const entry = join(scratch, 'uses-node-crypto.js');
    await writeFile(
      entry,
      "import { createHash } from 'node:crypto';\nexport const h = createHash('sha256');\n",
    );
    await expect(bundleApp(join(scratch, 'bad.mjs'), entry)).rejects.toThrow(
      /Could not resolve "node:crypto"/,
    );
  });
});
