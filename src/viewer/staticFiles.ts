/**
 * The files the page is made of: src/viewer/public/ at "/", and three.js from node_modules at /vendor/three/
 * (the page's import map points "three" and "three/addons/" there). Only files inside those folders are served.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

const threeBuild = dirname(createRequire(import.meta.url).resolve('three'));
const threeRoot = dirname(threeBuild);

/** URL prefix -> folder on disk, longest prefix first. */
const ROOTS: readonly (readonly [string, string])[] = [
  ['/vendor/three/addons/', join(threeRoot, 'examples', 'jsm')],
  ['/vendor/three/', threeBuild],
  ['/', PUBLIC_DIR],
];

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** The file a URL path names, or null (unknown, outside the roots, not a file, or a type we do not serve). */
export function resolveStatic(urlPath: string): { file: string; type: string } | null {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split('?')[0] ?? '/');
  } catch {
    return null;
  }
  if (path === '/') path = '/index.html';
  if (path.includes('\0')) return null;
  for (const [prefix, dir] of ROOTS) {
    if (!path.startsWith(prefix)) continue;
    const file = resolve(dir, '.' + path.slice(prefix.length - 1));
    if (!file.startsWith(dir.endsWith(sep) ? dir : dir + sep)) return null;
    const type = CONTENT_TYPES[extname(file)];
    if (!type || !existsSync(file) || !statSync(file).isFile()) return null;
    return { file, type };
  }
  return null;
}
