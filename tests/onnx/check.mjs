// For scripts/check-onnx.sh: runs the ONNX graph `elucid export` wrote in ONNX Runtime (its CPU execution provider,
// from npm) on the inputs dump_model wrote (tests/tfjs/dump_model.cpp) and compares its outputs with elucid's.
//
//   node check.mjs MODEL.onnx DUMP.json TOLERANCE KERAS.json [PREFIX_DIR]
//
// The graph must take one input named as the InputLayer of the model's Keras JSON (`elucid export --keras-json`)
// and give one output named after its last layer, or a Functional model's output layers (the names saving/onnx.hpp
// promises), take the whole batch and a
// batch of one sample (its batch dimension is symbolic), and agree with elucid's predictions to TOLERANCE (max abs
// difference). PREFIX_DIR holds layer_K.onnx, the graph of the model's first K layers
// (tests/onnx/export_prefixes.cpp): each must give layer K's output as dump_model wrote it, to TOLERANCE times
// max(1, the layer's largest |value|), so a mismatch names the layer where the two part. Exit status 0 when
// everything agrees, 1 otherwise.
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';

const [modelPath, dumpPath, toleranceText, kerasPath, prefixDir] = process.argv.slice(2);
// A Sequential's input is its InputLayer, its output its last layer; a Functional model names both.
const kerasConfig = JSON.parse(readFileSync(kerasPath, 'utf8')).config;
const kerasLayers = kerasConfig.layers;
const inputName = kerasConfig.input_layers ? kerasConfig.input_layers[0][0] : kerasLayers[0].config.name;
const outputNames = kerasConfig.output_layers ? kerasConfig.output_layers.map((o) => o[0])
                                              : [kerasLayers[kerasLayers.length - 1].config.name];
const tolerance = Number(toleranceText);
let failures = 0;
const fail = (message) => { console.log(`MISMATCH: ${message}`); failures++; };

const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'] });
console.log(`onnxruntime-node ${ort.env.versions.node} (onnxruntime-common ${ort.env.versions.common}), ` +
            `node ${process.version}; ${modelPath}: inputs ${JSON.stringify(session.inputNames)}, ` +
            `outputs ${JSON.stringify(session.outputNames)}`);
if (JSON.stringify(session.inputNames) !== JSON.stringify([inputName]))
  fail(`inputs ${JSON.stringify(session.inputNames)}, expected ["${inputName}"]`);
if (JSON.stringify(session.outputNames) !== JSON.stringify(outputNames))
  fail(`outputs ${JSON.stringify(session.outputNames)}, expected ${JSON.stringify(outputNames)}`);

const dump = JSON.parse(readFileSync(dumpPath, 'utf8'));
const ours = Float32Array.from(dump.outputs.values);
const n = dump.inputs.shape[0];
const perSample = ours.length / n;

// run(first, count): ONNX Runtime's outputs for samples first .. first + count - 1.
async function run(first, count) {
  const size = dump.inputs.values.length / n;
  const x = Float32Array.from(dump.inputs.values.slice(first * size, (first + count) * size));
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x, [count, ...dump.inputs.shape.slice(1)]) };
  const results = await session.run(feeds);
  return results[session.outputNames[0]];
}

// compare(y, first, what): max |ort - elucid| over y's samples, and how many share the top class.
function compare(y, first, what) {
  const expected = [y.dims[0], ...dump.outputs.shape.slice(1)];
  if (JSON.stringify(y.dims) !== JSON.stringify(expected))
    fail(`${what}: output shape ${JSON.stringify(y.dims)}, elucid ${JSON.stringify(expected)}`);
  let maxDiff = 0, largest = 0, sameClass = 0;
  for (let i = 0; i < y.dims[0]; i++) {
    let theirs = 0, mine = 0;
    for (let k = 0; k < perSample; k++) {
      const a = y.data[i * perSample + k], b = ours[(first + i) * perSample + k];
      const d = Math.abs(a - b);
      maxDiff = Number.isNaN(d) ? Infinity : Math.max(maxDiff, d);
      largest = Math.max(largest, Math.abs(b));
      if (a > y.data[i * perSample + theirs]) theirs = k;
      if (b > ours[(first + i) * perSample + mine]) mine = k;
    }
    sameClass += theirs === mine ? 1 : 0;
  }
  console.log(`${what}: ${y.dims[0]} inputs, max |onnxruntime - elucid| ${maxDiff.toExponential(3)} ` +
              `(largest |output| ${largest.toFixed(3)}), same top class for ${sameClass}/${y.dims[0]}`);
  if (!(maxDiff <= tolerance)) fail(`${what}: max abs difference ${maxDiff} > tolerance ${tolerance}`);
  if (sameClass !== y.dims[0]) fail(`${what}: top class differs for ${y.dims[0] - sameClass} inputs`);
}

compare(await run(0, n), 0, 'the whole batch');
compare(await run(n - 1, 1), n - 1, 'a batch of one (the last input)');

// A model of several outputs: each other output, the whole batch, against elucid's output of its layer.
for (const name of session.outputNames.slice(1)) {
  const layer = dump.layer_outputs.find((l) => l.name === name);
  if (!layer) {
    fail(`output ${name}: dump_model wrote no output of a layer of that name`);
    continue;
  }
  const x = new ort.Tensor('float32', Float32Array.from(dump.inputs.values), dump.inputs.shape);
  const y = (await session.run({ [session.inputNames[0]]: x }))[name];
  if (JSON.stringify(y.dims) !== JSON.stringify(layer.shape)) {
    fail(`output ${name}: shape ${JSON.stringify(y.dims)}, elucid ${JSON.stringify(layer.shape)}`);
    continue;
  }
  let diff = 0;
  layer.values.forEach((v, i) => {
    const d = Math.abs(y.data[i] - v);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
  });
  console.log(`output ${name}: ${y.dims[0]} inputs, max |onnxruntime - elucid| ${diff.toExponential(3)}`);
  if (!(diff <= tolerance)) fail(`output ${name}: max abs difference ${diff} > tolerance ${tolerance}`);
}

// Layer by layer: the graph of the first K layers against elucid's output of layer K, the whole batch.
if (prefixDir) {
  const x = new ort.Tensor('float32', Float32Array.from(dump.inputs.values), dump.inputs.shape);
  for (const [k, layer] of dump.layer_outputs.entries()) {
    const prefix = await ort.InferenceSession.create(`${prefixDir}/layer_${k + 1}.onnx`);
    const y = (await prefix.run({ [prefix.inputNames[0]]: x }))[prefix.outputNames[0]];
    const label = `${layer.name} (${prefix.outputNames[0] === layer.name ? 'its graph' : prefix.outputNames[0]})`;
    if (JSON.stringify(y.dims) !== JSON.stringify(layer.shape)) {
      fail(`${label}: output shape ${JSON.stringify(y.dims)}, elucid ${JSON.stringify(layer.shape)}`);
      continue;
    }
    let diff = 0, largest = 0;
    layer.values.forEach((v, i) => {
      const d = Math.abs(y.data[i] - v);
      diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
      largest = Math.max(largest, Math.abs(v));
    });
    console.log(`  ${layer.name.padEnd(24)} ${JSON.stringify(layer.shape.slice(1)).padEnd(12)} ` +
                `max |diff| ${diff.toExponential(2)}, largest |value| ${largest.toFixed(3)}`);
    // Inside the model values pass 1 (float32 rounds 1e-7 of a value) and LayerNormalization divides the differences
    // of its input by each row's spread: a layer's tolerance scales with its largest value. The model's outputs
    // (above) keep the absolute tolerance.
    const layerTolerance = tolerance * Math.max(1, largest);
    if (!(diff <= layerTolerance)) fail(`layer ${label}: max abs difference ${diff} > ${layerTolerance}`);
  }
}

if (failures) {
  console.log(`check-onnx: ${failures} mismatch(es)`);
  process.exit(1);
}
console.log('check-onnx: ONNX Runtime agrees with elucid');
