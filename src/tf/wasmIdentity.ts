/**
 * A zero-copy Identity kernel for the wasm backend.
 *
 * tfjs-core clones (kernel Identity) every tensor a kernel keeps for its gradient and every tensor a customGrad saves,
 * and tf.clone does the same. The wasm backend's Identity copies the data; in a training step of the default policy
 * those copies took about 5% of a worker's time (a CPU profile of `vla train`'s workers). Tensors never change in place,
 * and the wasm backend already lets a reshape share its input's data by counting references; a clone shares it the same
 * way here: the same data, one more reference, freed when the last tensor holding it is disposed.
 */
import { Identity, getKernel, registerKernel, unregisterKernel, type DataId, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

/** The wasm backend's side of it: reference counts per data id (BackendWasm.incRef). */
interface CountsReferences {
  incRef(dataId: DataId): void;
}

/** Replaces the wasm backend's Identity kernel by one that shares the data (strings keep the copying kernel). */
export function shareIdentityOnWasm(): void {
  const copying = getKernel(Identity, 'wasm');
  if (!copying) return; // the wasm backend is not loaded in this thread
  if ((copying.kernelFunc as { shares?: boolean }).shares) return; // replaced already
  const sharing: KernelFunc & { shares?: boolean } = (args) => {
    const x = args.inputs['x'] as TensorInfo;
    if (x.dtype === 'string') return copying.kernelFunc(args);
    (args.backend as unknown as CountsReferences).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  sharing.shares = true;
  unregisterKernel(Identity, 'wasm');
  registerKernel({ kernelName: Identity, backendName: 'wasm', kernelFunc: sharing });
}
