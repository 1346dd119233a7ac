/** The simulator's cameras: a CPU renderer for three.js scenes, camera presets, and image files. */
export {
  SoftwareRenderer,
  type RenderOptions,
  type RenderStats,
  type SoftwareRendererOptions,
} from './SoftwareRenderer.js';
export { DEFAULT_LIGHTS, LightRig, MAX_LIGHTS } from './lighting.js';
export { linearToSrgbByte, srgbToLinear } from './raster.js';
export { MAX_SUPERSAMPLING, downsampleImage } from './downsample.js';
export {
  CAMERA_NAMES,
  CAMERA_PRESETS,
  WRIST_CAMERA,
  applyCameraPreset,
  makeCamera,
  makeWristCamera,
  updateWristCamera,
  type CameraName,
  type CameraPreset,
  type WristMount,
} from './cameras.js';
export {
  GifRecorder,
  createCameraImage,
  decodePng,
  depthToImage,
  encodePng,
  fixedPalette,
  segmentationToImage,
  tileImages,
  toRgba,
  upscale,
  type GifOptions,
} from './imageIO.js';
export { benchRenderer, buildBenchScene, type RenderBenchResult } from './bench.js';
