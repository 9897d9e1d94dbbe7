// For scripts/check-tfjs.sh: loads the Keras JSON that `elucid export` wrote into TensorFlow.js (a second, independent
// implementation of Keras' layers and JSON format), sets the weights dump_model wrote, predicts the same inputs and
// compares the outputs with elucid's. Also writes TensorFlow.js's own model.toJSON() for elucid to read back.
//
//   node check.mjs MODEL.json DUMP.json TOLERANCE TFJS_JSON_OUT [PREDICT_OUTPUT] [TFJS_FOLDER TFJS_SAVED]
//
// PREDICT_OUTPUT is what `elucid predict MODEL IMAGE... --top K` printed for the images at the end of DUMP.json:
// its percentages (one decimal) are compared too. TFJS_FOLDER is what `elucid export MODEL DIR --format tfjs`
// wrote: tf.loadLayersModel reads it unchanged (model.json and the shards, from disk), its weights must be elucid's
// bit for bit and its outputs elucid's to TOLERANCE; tfjs then saves the model it loaded into TFJS_SAVED (model.json
// and weights.bin, as tfjs-node's file:// handler writes them) for elucid to read back.
// Exit status 0 when everything agrees, 1 otherwise.
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const [modelPath, dumpPath, toleranceText, tfjsJsonOut, predictPath, tfjsFolder, tfjsSaved] = process.argv.slice(2);
const tolerance = Number(toleranceText);
let failures = 0;
const fail = (message) => { console.log(`MISMATCH: ${message}`); failures++; };

await tf.setBackend('cpu');  // the pure-JavaScript backend: no native binaries
console.log(`tfjs ${tf.version.tfjs} (tfjs-layers ${tf.version_layers}), backend ${tf.getBackend()}, ` +
            `node ${process.version}`);

// 1. The architecture, unchanged: modelFromJSON takes Keras' model.to_json() object as it is.
const topology = JSON.parse(readFileSync(modelPath, 'utf8'));
const model = await tf.models.modelFromJSON(topology);
console.log(`modelFromJSON: ${model.layers.length} layers, ${model.countParams()} parameters, ` +
            `input ${JSON.stringify(model.inputs[0].shape)}, output ${JSON.stringify(model.outputs[0].shape)}`);

// 2. The weights, matched by name: elucid's "LAYER/kernel" is Keras' and TensorFlow.js's name for the same variable,
// in the same layout (Conv2D (kh, kw, in, out), Dense (in, units)).
const dump = JSON.parse(readFileSync(dumpPath, 'utf8'));
const byName = new Map(dump.weights.map((w) => [w.name, w]));
let assigned = 0;
for (const layer of model.layers) {
  if (layer.weights.length === 0) continue;
  const values = layer.weights.map((v) => {
    const name = `${layer.name}/${v.originalName.split('/').pop()}`;
    const w = byName.get(name);
    if (!w) throw new Error(`tfjs weight ${v.originalName} (layer ${layer.name}): elucid has no weight ${name}`);
    if (JSON.stringify(w.shape) !== JSON.stringify(v.shape))
      throw new Error(`${name}: elucid shape ${JSON.stringify(w.shape)}, tfjs shape ${JSON.stringify(v.shape)}`);
    byName.delete(name);
    assigned++;
    return tf.tensor(w.values, w.shape, 'float32');
  });
  layer.setWeights(values);
}
if (byName.size) fail(`elucid weights tfjs has no place for: ${[...byName.keys()].join(', ')}`);
console.log(`weights: ${assigned} tensors set by name`);

// 3. Predict the same inputs and compare.
const x = tf.tensor(dump.inputs.values, dump.inputs.shape, 'float32');
// A model of several outputs predicts a list: the first is compared here, the others with the layers (step 4).
const firstOutput = (t) => (Array.isArray(t) ? t[0] : t);
const y = firstOutput(model.predict(x));
const ours = tf.tensor(dump.outputs.values, dump.outputs.shape, 'float32');
if (JSON.stringify(y.shape) !== JSON.stringify(ours.shape))
  fail(`output shape: tfjs ${JSON.stringify(y.shape)}, elucid ${JSON.stringify(ours.shape)}`);
const probs = (t) => (dump.outputs.from_logits ? tf.softmax(t) : t);
const maxAbs = (a, b) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
const outputDiff = maxAbs(y, ours);
const probDiff = maxAbs(probs(y), probs(ours));
const scale = tf.max(tf.abs(ours)).dataSync()[0];
const theirClasses = tf.argMax(y, 1).dataSync();
const ourClasses = tf.argMax(ours, 1).dataSync();
const n = dump.inputs.shape[0];
let sameClass = 0;
for (let i = 0; i < n; i++) sameClass += theirClasses[i] === ourClasses[i] ? 1 : 0;
const what = dump.outputs.from_logits ? 'logits' : 'outputs';
console.log(`${n} inputs: max |tfjs - elucid| ${outputDiff.toExponential(3)} on the ${what} ` +
            `(largest |output| ${scale.toFixed(3)}), ${probDiff.toExponential(3)} on the probabilities; ` +
            `same top class for ${sameClass}/${n}`);
if (!(outputDiff <= tolerance)) fail(`max abs difference ${outputDiff} > tolerance ${tolerance}`);
if (sameClass !== n) fail(`top class differs for ${n - sameClass} of ${n} inputs`);

// 4. Layer by layer: the first layer past the tolerance is where the two implementations part.
const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
const probe = tf.model({ inputs: model.inputs, outputs: layers.map((l) => l.output) });
const theirs = probe.predict(x);
const ourLayers = new Map(dump.layer_outputs.map((o) => [o.name, o]));
layers.forEach((layer, i) => {
  const o = ourLayers.get(layer.name);
  if (!o) { fail(`elucid has no layer ${layer.name}`); return; }
  const t = theirs[i];
  if (JSON.stringify(t.shape) !== JSON.stringify(o.shape)) {
    fail(`${layer.name}: output shape tfjs ${JSON.stringify(t.shape)}, elucid ${JSON.stringify(o.shape)}`);
    return;
  }
  const e = tf.tensor(o.values, o.shape, 'float32');
  const diff = maxAbs(t, e), largest = tf.max(tf.abs(e)).dataSync()[0];
  const label = `${layer.name} (${layer.getClassName()})`;
  console.log(`  ${label.padEnd(40)} ${JSON.stringify(o.shape.slice(1)).padEnd(12)} ` +
              `max |diff| ${diff.toExponential(2)}, largest |value| ${largest.toFixed(3)}`);
  if (!(diff <= tolerance)) fail(`layer ${label}: max abs difference ${diff} > ${tolerance}`);
});

// 5. `elucid predict`'s printed percentages for the images at the end of the batch.
if (predictPath) {
  const lines = readFileSync(predictPath, 'utf8').trim().split('\n');
  const p = probs(y).arraySync();
  const classNames = dump.class_names;
  const first = n - lines.length;
  let compared = 0, agreed = 0;
  lines.forEach((line, k) => {
    const row = p[first + k];
    const entries = line.slice(line.indexOf(': ') + 2).split(', ');
    for (const entry of entries) {
      const m = entry.match(/^(.*) ([0-9.]+)%$/);
      if (!m) { fail(`cannot read "${entry}" in: ${line}`); continue; }
      const c = classNames.length ? classNames.indexOf(m[1]) : Number(m[1].replace('class ', ''));
      if (c < 0) { fail(`unknown class "${m[1]}" in: ${line}`); continue; }
      // printed with one decimal: half a unit of the last digit, plus the float error
      compared++;
      if (Math.abs(100 * row[c] - Number(m[2])) <= 0.05 + 1e-3) agreed++;
      else fail(`${line.slice(0, line.indexOf(':'))}: elucid predict says ${m[1]} ${m[2]}%, ` +
                `tfjs ${(100 * row[c]).toFixed(4)}%`);
    }
  });
  console.log(`elucid predict: ${agreed} of ${compared} printed percentages (${lines.length} images) agree with ` +
              'tfjs to their one decimal');
}

// 6. TensorFlow.js's own Keras JSON, for elucid to read back (scripts/check-tfjs.sh runs `elucid summary` on it).
writeFileSync(tfjsJsonOut, JSON.stringify(model.toJSON(null, false)));

// 7. The folder `elucid export --format tfjs` wrote, loaded by tfjs itself: tf.io.http's handler reads model.json and
// resolves the manifest's shard paths next to it; its fetch is the only part replaced, by one that reads the disk
// (pure tfjs in Node has no file:// handler).
if (tfjsFolder) {
  const fromDisk = async (path) => new Response(await readFile(path));
  const loaded = await tf.loadLayersModel(tf.io.http(join(resolve(tfjsFolder), 'model.json'), { fetchFunc: fromDisk }));
  let same = 0;
  for (const v of loaded.weights) {
    const w = dump.weights.find((d) => d.name === v.originalName);
    if (!w) { fail(`${tfjsFolder}: tfjs weight ${v.originalName} is not one of elucid's`); continue; }
    const theirs = v.read().dataSync(), elucids = Float32Array.from(w.values);
    if (theirs.length === elucids.length && theirs.every((t, i) => Object.is(t, elucids[i]))) same++;
    else fail(`${tfjsFolder}: weight ${v.originalName} differs from elucid's`);
  }
  if (loaded.weights.length !== dump.weights.length)
    fail(`${tfjsFolder}: tfjs loaded ${loaded.weights.length} weights, elucid has ${dump.weights.length}`);
  const z = firstOutput(loaded.predict(x));
  const folderDiff = maxAbs(z, ours);
  const classes = tf.argMax(z, 1).dataSync();
  let agree = 0;
  for (let i = 0; i < n; i++) agree += classes[i] === ourClasses[i] ? 1 : 0;
  console.log(`tf.loadLayersModel(${tfjsFolder}): ${loaded.layers.length} layers, ${same}/${dump.weights.length} ` +
              `weights bit for bit; ${n} inputs: max |tfjs - elucid| ${folderDiff.toExponential(3)} on the ${what}, ` +
              `same top class for ${agree}/${n}`);
  if (!(folderDiff <= tolerance)) fail(`${tfjsFolder}: max abs difference ${folderDiff} > tolerance ${tolerance}`);
  if (agree !== n) fail(`${tfjsFolder}: top class differs for ${n - agree} of ${n} inputs`);

  // tfjs saves what it loaded, as tfjs-node's file:// handler lays a folder out, for elucid to read back.
  if (tfjsSaved) {
    await loaded.save(tf.io.withSaveHandler(async (artifacts) => {
      mkdirSync(tfjsSaved, { recursive: true });
      const manifest = [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }];
      // The keys of tfjs-core's getModelJSONForModelArtifacts (not exported), in its order.
      const { modelTopology, format, generatedBy, convertedBy, userDefinedMetadata } = artifacts;
      writeFileSync(join(tfjsSaved, 'model.json'), JSON.stringify({ modelTopology, format, generatedBy, convertedBy,
                                                                    weightsManifest: manifest, userDefinedMetadata }));
      const data = artifacts.weightData;  // one ArrayBuffer, or a list of them
      writeFileSync(join(tfjsSaved, 'weights.bin'),
                    Array.isArray(data) ? Buffer.concat(data.map((b) => Buffer.from(b))) : Buffer.from(data));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    console.log(`tfjs saved the model it loaded into ${tfjsSaved} (model.json, weights.bin)`);
  }
}

if (failures) {
  console.log(`check-tfjs: ${failures} mismatch(es)`);
  process.exit(1);
}
console.log('check-tfjs: tfjs agrees with elucid');
