/**
 * The import graph of src/ (docs/architecture.md): no cycles, and no import from a lower layer
 * into a higher one. Bottom to top: core < host < network, images, disks, kernels < drivers <
 * api < index.ts < cli and serve (the library's users); the CLI imports only the library (the
 * package's entries: src/index.ts, and src/serve/index.ts for `berth serve`) and itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { cycles, importGraph, type Edge } from './import-graph.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..', '..');

const LAYERS: Record<string, number> = {
  core: 0,
  'version.ts': 0,
  host: 1,
  network: 2,
  images: 2,
  disks: 2,
  kernels: 2,
  templates: 2,
  pools: 2,
  drivers: 3,
  api: 4,
  'index.ts': 5,
  cli: 6,
  // `berth serve`, the Docker Engine API (ADR 0037): the package's second entry (berth/serve),
  // built on the library as the CLI is; the library never loads it.
  serve: 6,
};

/** What the CLI may import besides itself: the package's entries (package.json "exports"). */
const LIBRARY_ENTRIES = ['src/index.ts', 'src/serve/index.ts'];

function layerOf(file: string): number {
  const top = file.split('/')[1]!;
  const l = LAYERS[top];
  if (l === undefined) throw new Error(`${file}: src/${top} has no layer: add it to LAYERS (and docs/architecture.md)`);
  return l;
}

const text = (e: Edge) => `${e.from} -> ${e.to}`;

/** Imports that break the layering: upward, or out of the CLI to anything but the library. */
function violations(edges: Edge[]): string[] {
  return edges
    .filter((e) =>
      e.from.startsWith('src/cli/')
        ? !LIBRARY_ENTRIES.includes(e.to) && !e.to.startsWith('src/cli/')
        : layerOf(e.to) > layerOf(e.from),
    )
    .map(text);
}

const edges = importGraph(ROOT);

test('the import graph was read (a parser that finds nothing would pass everything)', () => {
  assert.ok(edges.length > 500, `${edges.length} edges`);
  assert.ok(edges.some((e) => e.from === 'src/cli/main.ts'));
  // Dynamic imports count: the cold VM drivers are reached only that way.
  assert.ok(edges.some((e) => text(e) === 'src/drivers/uml/register.ts -> src/drivers/uml/uml-driver.ts'));
});

test('no upward imports, and the CLI imports only the library', () => {
  const bad = [...new Set(violations(edges))];
  assert.deepEqual(bad, [], `upward imports (move the code down, or pass it in from above):\n${bad.join('\n')}`);
});

test('no import cycles', () => {
  const found = cycles(edges);
  assert.deepEqual(found, [], `import cycles:\n${found.map((c) => c.join(' <-> ')).join('\n')}`);
});

test('the checks catch what they are for: a back-edge, a CLI reaching past the library, a cycle', () => {
  const planted: Edge[] = [
    { from: 'src/host/x.ts', to: 'src/drivers/y.ts' },
    { from: 'src/cli/z.ts', to: 'src/core/errors.ts' },
    { from: 'src/images/a.ts', to: 'src/images/b.ts' },
    { from: 'src/images/b.ts', to: 'src/images/c.ts' },
    { from: 'src/images/c.ts', to: 'src/images/a.ts' },
    { from: 'src/api/d.ts', to: 'src/api/d.ts' },
  ];
  assert.deepEqual(violations(planted), ['src/host/x.ts -> src/drivers/y.ts', 'src/cli/z.ts -> src/core/errors.ts']);
  assert.deepEqual(cycles(planted), [['src/images/a.ts', 'src/images/b.ts', 'src/images/c.ts'], ['src/api/d.ts']]);
  assert.throws(() => layerOf('src/plugins/p.ts'), /has no layer/);
});
