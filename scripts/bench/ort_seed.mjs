// Reference: inference of the seed model in ONNX Runtime (npm onnxruntime-node, its CPU execution provider), for
// scripts/bench/anchors.sh. The graph is the one `elucid export MODEL OUT.onnx` writes (saving/onnx.hpp): one float32
// input, (batch, 28, 28, 1) channels last, its first dimension symbolic; one output, the logits (batch, 10).
//
//   node ort_seed.mjs MODEL.onnx DIR N THREADS
//
// Predicts the first N training images of DIR (train-images-idx3-ubyte, unpacked), scaled to [0, 1], at batch 256 (the
// last batch what is left), as elucid-bench predicts its N samples; the session runs on THREADS intra-op threads, one
// inter-op thread, sequential execution, every graph optimization. One batch runs first as a warm-up, outside the
// clock; the clock then covers each batch's conversion from uint8 and its run. Prints one line:
//   infer_samples_per_s=X
// Run it from a folder whose node_modules holds onnxruntime-node (anchors.sh copies it next to its install).
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';

const [modelPath, dir, countText, threadsText] = process.argv.slice(2);
if (!modelPath || !dir || !countText || !threadsText) {
  console.error('usage: node ort_seed.mjs MODEL.onnx DIR N THREADS');
  process.exit(2);
}
const batch = 256;
const threads = Number(threadsText);

// The IDX file: a big-endian header (magic, count, rows, columns), then one byte per pixel.
const file = readFileSync(`${dir}/train-images-idx3-ubyte`);
const available = file.readUInt32BE(4), rows = file.readUInt32BE(8), cols = file.readUInt32BE(12);
const n = Math.min(Number(countText), available);
const pixels = file.subarray(16, 16 + n * rows * cols);
const perImage = rows * cols;

const session = await ort.InferenceSession.create(modelPath, {
  executionProviders: ['cpu'],
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
});
const inputName = session.inputNames[0], outputName = session.outputNames[0];
// The input's shape as the graph declares it, (batch, 28, 28, 1): the symbolic batch dimension replaced per run.
const shape = session.inputMetadata?.[0]?.shape ?? ['batch', rows, cols, 1];
if (shape.slice(1).reduce((a, b) => a * b, 1) !== perImage) {
  console.error(`ort_seed: the graph's input ${JSON.stringify(shape)} does not take ${rows}x${cols} images`);
  process.exit(1);
}

// run(first, count): images first .. first + count - 1, /255, through the graph.
async function run(first, count) {
  const x = new Float32Array(count * perImage);
  const src = pixels.subarray(first * perImage, (first + count) * perImage);
  for (let i = 0; i < x.length; i++) x[i] = src[i] / 255;
  const out = await session.run({ [inputName]: new ort.Tensor('float32', x, [count, ...shape.slice(1)]) });
  return out[outputName];
}

await run(0, Math.min(batch, n));  // warm-up
const start = process.hrtime.bigint();
for (let first = 0; first < n; first += batch) await run(first, Math.min(batch, n - first));
const seconds = Number(process.hrtime.bigint() - start) * 1e-9;
console.log(`infer_samples_per_s=${(n / seconds).toFixed(1)}`);
