// The 3-D view: the simulator's scene graph (sent by the server as three.js JSON) drawn with WebGLRenderer,
// orbit controls to look around, and poses updated from every frame. Without WebGL it says so and stays empty.
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { applyFrame, loadScene } from './scenePoses.js';

export class SceneView {
  constructor(container, messageEl) {
    this.container = container;
    this.messageEl = messageEl;
    this.scene = null;
    this.objects = [];
    this.links = [];
    this.loaded = null;
    this.renderer = null;
    try {
      this.renderer = new THREE.WebGLRenderer({ antialias: true });
    } catch (e) {
      this.showMessage(`The 3-D view needs WebGL, which this browser does not offer (${e.message}). The status and the attention panel still work.`);
      return;
    }
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    container.prepend(this.renderer.domElement);
    this.camera = new THREE.PerspectiveCamera(40, 1, 0.01, 20);
    this.camera.up.set(0, 0, 1); // the simulator's world is z-up
    this.camera.position.set(1.1, -1.2, 0.95);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.target.set(-0.1, 0, 0.2);
    this.controls.enableDamping = true;
    this.controls.update();
    this.home = { position: this.camera.position.toArray(), target: this.controls.target.toArray() };
    new ResizeObserver(() => this.resize()).observe(container);
    this.resize();
    this.renderer.setAnimationLoop(() => this.draw());
  }

  get webgl() {
    return this.renderer !== null;
  }

  showMessage(text) {
    this.messageEl.textContent = text;
    this.messageEl.hidden = false;
  }

  resize() {
    if (!this.renderer) return;
    const w = Math.max(1, this.container.clientWidth);
    const h = Math.max(1, this.container.clientHeight);
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
  }

  /** Moves the orbit camera to a pose: {position, target} in world metres. */
  lookFrom(pose) {
    if (!this.renderer || !pose) return;
    this.camera.position.set(...pose.position);
    this.controls.target.set(...pose.target);
    this.controls.update();
  }

  /** A new episode's scene: replaces what was drawn. */
  setScene(msg) {
    this.policyCamera = msg.camera;
    if (!this.renderer) return;
    if (this.scene) this.dispose(this.scene);
    this.loaded = loadScene(msg);
    this.scene = this.loaded.scene;
    this.objects = this.loaded.objects;
    this.links = this.loaded.links;
  }

  /** Poses of one control step. */
  applyFrame(msg) {
    if (this.loaded) applyFrame(this.loaded, msg);
  }

  draw() {
    this.controls.update();
    if (this.scene) this.renderer.render(this.scene, this.camera);
  }

  dispose(root) {
    root.traverse((x) => {
      if (x.geometry) x.geometry.dispose();
      if (x.material) x.material.dispose();
    });
  }
}
