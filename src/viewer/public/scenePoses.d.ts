// Types of scenePoses.js for the TypeScript tests that import it (the page itself loads the .js).
import type { Object3D, Scene } from 'three';

export interface LoadedScene {
  scene: Scene;
  objects: (Object3D | null)[];
  links: (Object3D | null)[];
}

export function loadScene(msg: { three: unknown; objectNames: string[]; linkNames: string[] }): LoadedScene;
export function applyFrame(loaded: LoadedScene, msg: { objects: number[]; links: number[] }): void;
