/**
 * The code's layering, checked on the sources: the simulator (sim/) never imports the rest of the project (src/), so
 * it can be used and tested alone; and no module imports itself through a cycle of run-time imports (type-only
 * imports, erased by TypeScript, may point anywhere).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

/** The project files a source imports at run time (`import type` and `export type` left out), as paths from the root. */
function runtimeImports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const found: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) {
    if (m[2]) continue; // type-only
    found.push(relative(root, resolve(join(root, dirname(file)), m[3]!.replace(/\.js$/, '.ts'))));
  }
  return found;
}

/** The run-time import graph of `files`: file -> the files it imports. */
function importGraph(files: string[]): Map<string, string[]> {
  return new Map(files.map((f) => [f, runtimeImports(f)]));
}

/** A cycle in an import graph, as the files around it (the first repeated at the end), or null. */
function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): string[] | null => {
    if (state.get(f) === 'done') return null;
    if (state.get(f) === 'open') return [...stack.slice(stack.indexOf(f)), f];
    state.set(f, 'open');
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      const c = visit(g);
      if (c) return c;
    }
    stack.pop();
    state.set(f, 'done');
    return null;
  };
  for (const f of graph.keys()) {
    const c = visit(f);
    if (c) return c;
  }
  return null;
}

describe('layering', () => {
  it('sim/ never imports src/', () => {
    const files = sources('sim');
    expect(files.length).toBeGreaterThan(20);
    const offending = files.flatMap((f) => runtimeImports(f).filter((g) => g.startsWith('src/')).map((g) => `${f} -> ${g}`));
    expect(offending).toEqual([]);
  });

  it('no cycle of run-time imports in src/ and sim/', () => {
    expect(findCycle(importGraph([...sources('src'), ...sources('sim')]))).toBeNull();
  });

  it('the checks can fail: imports are read (type-only ones left out) and a cycle is found', () => {
    expect(runtimeImports('src/eval/evaluate.ts')).toContain('src/eval/episode.ts');
    expect(runtimeImports('src/eval/language.ts')).not.toContain('sim/env/Driver.ts'); // `import type`
    const cyclic = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
    expect(findCycle(cyclic)).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', []]]))).toBeNull();
  });
});
