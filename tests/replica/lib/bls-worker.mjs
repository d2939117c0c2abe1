// Worker thread: BLS-signs state roots off the main thread (the main thread keeps serving meanwhile).
import { parentPort, workerData } from 'node:worker_threads';
import { bls12_381 } from '@noble/curves/bls12-381.js';

const sk = new Uint8Array(workerData.sk);
const sep = new Uint8Array(workerData.sep);
parentPort.on('message', ({ id, root }) => {
  const msg = new Uint8Array(sep.length + root.length);
  msg.set(sep, 0);
  msg.set(root, sep.length);
  const sig = bls12_381.shortSignatures.sign(bls12_381.shortSignatures.hash(msg), sk).toBytes(true);
  parentPort.postMessage({ id, sig });
});
