/**
 * The three.js scene graph of the tabletop: what the browser viewer draws with WebGLRenderer and what the
 * software renderer draws for the policy's camera. Built from the same scene description and arm primitives as
 * the physics, and synchronised from it after each control step.
 *
 * Segmentation: scene object i carries mesh.userData.segmentationId = i + 1; everything else is 0.
 */
import * as THREE from 'three';
import type { Scene } from '../types.js';
import { COLOUR_RGB } from '../types.js';
import { BOWL_WALL, PLATE_THICKNESS, objectDims } from './objectGeometry.js';
import { TABLE, type ColliderSpec, type PhysicsWorld } from './PhysicsWorld.js';

/** An arm primitive with its colour (the URDF's material). */
export interface LinkPrimitive extends ColliderSpec {
  rgb: readonly [number, number, number];
}

const material = (rgb: readonly [number, number, number]) =>
  new THREE.MeshLambertMaterial({ color: new THREE.Color(rgb[0], rgb[1], rgb[2]) });

/** three.js cylinders stand along local y; ours stand along z. */
const ALONG_Z = new THREE.Quaternion().setFromAxisAngle(new THREE.Vector3(1, 0, 0), Math.PI / 2);

export class SceneGraph {
  readonly scene = new THREE.Scene();
  readonly objectMeshes: THREE.Object3D[] = [];
  /** One group per arm link; its children are the link's primitives. */
  readonly linkGroups: THREE.Group[] = [];

  constructor(sceneSpec: Scene, linkCount: number, primitives: readonly LinkPrimitive[]) {
    const s = this.scene;
    s.background = new THREE.Color(0.78, 0.84, 0.9);
    // three.js r155+ physical light units: a surface reflects colour / pi times the light it receives.
    const sun = new THREE.DirectionalLight(0xffffff, 2.6);
    sun.position.set(-0.3, 0.4, 1.0);
    s.add(sun);
    s.add(new THREE.AmbientLight(0xffffff, 1.4));

    const table = new THREE.Mesh(new THREE.BoxGeometry(2 * TABLE.halfX, 2 * TABLE.halfY, TABLE.thickness), material([0.62, 0.5, 0.38]));
    table.position.set(0, 0, -TABLE.thickness / 2);
    table.name = 'table';
    s.add(table);

    sceneSpec.objects.forEach((o, i) => {
      const dims = objectDims(o.kind, o.size);
      const mat = material(COLOUR_RGB[o.colour]);
      let obj: THREE.Object3D;
      const r = dims.radius;
      switch (o.kind) {
        case 'ball':
          obj = new THREE.Mesh(new THREE.SphereGeometry(r, 16, 12), mat);
          break;
        case 'cube':
          obj = new THREE.Mesh(new THREE.BoxGeometry(2 * r, 2 * r, 2 * r), mat);
          break;
        case 'cylinder':
          obj = new THREE.Mesh(new THREE.CylinderGeometry(r, r, dims.height, 20).applyQuaternion(ALONG_Z), mat);
          break;
        case 'plate':
          obj = new THREE.Mesh(new THREE.CylinderGeometry(r, r, PLATE_THICKNESS, 24).applyQuaternion(ALONG_Z), mat);
          break;
        case 'bowl': {
          // A lathe profile: the outer wall, the rim, the inner wall and the floor.
          const h = dims.height;
          const pts = [
            new THREE.Vector2(0.001, -h / 2),
            new THREE.Vector2(r * 0.8, -h / 2),
            new THREE.Vector2(r, h / 2),
            new THREE.Vector2(r - BOWL_WALL, h / 2),
            new THREE.Vector2(r * 0.8 - BOWL_WALL, -h / 2 + BOWL_WALL),
            new THREE.Vector2(0.001, -h / 2 + BOWL_WALL),
          ];
          const geo = new THREE.LatheGeometry(pts, 24).applyQuaternion(ALONG_Z);
          obj = new THREE.Mesh(geo, mat);
          (obj as THREE.Mesh).material = new THREE.MeshLambertMaterial({ color: mat.color, side: THREE.DoubleSide });
          break;
        }
      }
      obj.userData.segmentationId = i + 1;
      obj.name = o.id;
      obj.position.set(o.position.x, o.position.y, dims.height / 2);
      obj.quaternion.setFromAxisAngle(new THREE.Vector3(0, 0, 1), o.yaw);
      s.add(obj);
      this.objectMeshes.push(obj);
    });

    for (let l = 0; l < linkCount; l++) {
      const g = new THREE.Group();
      g.matrixAutoUpdate = false;
      g.name = `link-${l}`;
      s.add(g);
      this.linkGroups.push(g);
    }
    for (const p of primitives) {
      const group = this.linkGroups[p.link];
      if (!group) throw new Error(`arm primitive refers to link ${p.link}, but the arm has ${linkCount} links`);
      let geo: THREE.BufferGeometry;
      if (p.shape === 'box') geo = new THREE.BoxGeometry(p.dims[0], p.dims[1], p.dims[2]);
      else if (p.shape === 'sphere') geo = new THREE.SphereGeometry(p.dims[0], 12, 8);
      else geo = new THREE.CylinderGeometry(p.dims[0], p.dims[0], p.dims[1], 16).applyQuaternion(ALONG_Z);
      const mesh = new THREE.Mesh(geo, material(p.rgb));
      mesh.position.set(...p.position);
      mesh.quaternion.set(...p.quaternion);
      group.add(mesh);
    }
  }

  /** Copies object poses from the physics and link transforms from the kinematics. */
  sync(physics: PhysicsWorld, linkPoses: readonly THREE.Matrix4[]): void {
    for (let i = 0; i < this.objectMeshes.length; i++) {
      const b = physics.objects[i]!.body;
      const m = this.objectMeshes[i]!;
      m.position.set(b.position.x, b.position.y, b.position.z);
      m.quaternion.set(b.quaternion.x, b.quaternion.y, b.quaternion.z, b.quaternion.w);
    }
    for (let l = 0; l < this.linkGroups.length; l++) {
      const g = this.linkGroups[l]!;
      g.matrix.copy(linkPoses[l]!);
      g.matrixWorldNeedsUpdate = true;
    }
  }
}
