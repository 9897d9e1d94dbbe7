// The TensorFlow.js layers format, out and in: a folder holding model.json and the weight shards, as tfjs'
// model.save() and tensorflowjs_converter write them, which tf.loadLayersModel reads.
//
//   elucid::export_tfjs(model, "fashion_tfjs");           // fashion_tfjs/model.json, fashion_tfjs/group1-shard1of1.bin
//   elucid::ModelFile file = elucid::load_tfjs("fashion_tfjs");   // or "fashion_tfjs/model.json"
//
// model.json: {"modelTopology": the Keras model JSON (saving/keras_json.hpp), "format": "layers-model",
// "generatedBy", "convertedBy": null, "weightsManifest": [{"paths": [shard file names], "weights": [{"name",
// "shape", "dtype"}]}], "userDefinedMetadata": {"elucid": {"compile_config", "class_names"}}}. The shards are one
// group's weights, little-endian float32, concatenated in manifest order (trainable weights layer by layer, then the
// non-trainable ones, as tfjs orders model.weights) and cut every kTfjsShardBytes (a weight may span two shards).
#pragma once
#include <elucid/saving/model_file.hpp>
#include <elucid/train/trainer.hpp>

#include <cstdint>
#include <string>

namespace elucid {

// tensorflowjs_converter's default shard size: 4 MiB.
inline constexpr int64_t kTfjsShardBytes = int64_t{4} << 20;

// Writes DIR/model.json and DIR/group1-shardIofN.bin (the folder and those above it are made when missing). Each file
// is written atomically, the shards first and model.json last, so a model.json on disk always has its shards.
// Weight names are elucid's, which are Keras' and tfjs' ("conv2d/kernel", "batch_normalization/moving_mean").
// The model must be built; `shard_bytes` (> 0, a multiple of 4) is for tests.
void export_tfjs(const train::Trainer& model, const std::string& dir, int64_t shard_bytes = kTfjsShardBytes);

// True when `path` is a folder holding a model.json, or a JSON file, whose top-level object says
// "format": "layers-model" (or has a modelTopology and a weightsManifest and no format). Never throws.
bool is_tfjs_model(const std::string& path);

// Reads a TensorFlow.js layers model from its folder or its model.json: the architecture through the Keras JSON
// reader, the weights matched to the layers by name. Every problem is an elucid::Error naming the file: malformed
// JSON, another format, a weight the model does not have or a weight it lacks, a shape that does not match the
// layer's, a dtype other than float32, a shard path that leaves the folder, a missing or short shard (with the weight
// whose bytes are not there). Shard sizes are checked against the manifest before anything is read or allocated.
// The compile settings and class names come back when elucid wrote them (userDefinedMetadata); a tfjs trainingConfig
// is not read, so a model tfjs saved loads uncompiled.
ModelFile load_tfjs(const std::string& path);

}  // namespace elucid
