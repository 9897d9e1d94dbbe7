// The TensorFlow.js layers format: model.json with its weights manifest, and the float32 shards, written and read.
#include <elucid/saving/tfjs.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/core/version.hpp>
#include <elucid/saving/json.hpp>
#include <elucid/saving/keras_json.hpp>
#include <elucid/saving/keras_objects.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <system_error>

namespace elucid {

namespace fs = std::filesystem;

namespace {
constexpr size_t kMaxRank = 8;
constexpr size_t kMaxModelJsonBytes = size_t{256} << 20;  // Keras JSON is kilobytes; the weights are in the shards

// Little-endian float32, whatever this machine's byte order.
void put_floats(std::string& out, const float* p, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    uint32_t u = 0;
    std::memcpy(&u, p + i, 4);
    for (int b = 0; b < 4; ++b) out.push_back(static_cast<char>((u >> (8 * b)) & 0xffu));
  }
}

void get_floats(const char* bytes, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    uint32_t u = 0;
    for (int b = 0; b < 4; ++b) u |= uint32_t{static_cast<unsigned char>(bytes[4 * i + b])} << (8 * b);
    std::memcpy(out + i, &u, 4);
  }
}

// tensorflowjs_converter's names: group1-shard1of3.bin, group1-shard2of3.bin, ...
std::string shard_name(int64_t i, int64_t n) {
  return "group1-shard" + std::to_string(i + 1) + "of" + std::to_string(n) + ".bin";
}

bool looks_like_tfjs(const json::Json& top) {
  if (!top.is_object()) return false;
  if (top.contains("format")) return top["format"] == "layers-model";
  return top.contains("modelTopology") && top.contains("weightsManifest");
}

// The model.json a folder or a path names.
fs::path model_json_path(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) ? fs::path(path) / "model.json" : fs::path(path);
}

// One weight of the manifest: where its bytes sit in its group's shards, concatenated.
struct Spec {
  std::string name;
  Shape shape;
  int64_t count = 0;   // values
  int64_t offset = 0;  // bytes into the group
};

struct Group {
  std::vector<fs::path> shards;
  std::vector<Spec> specs;
  int64_t bytes = 0;  // what its weights need
};

// The weight whose bytes are at `offset` of a group, for messages about a missing or short shard.
std::string weight_at(const Group& group, int64_t offset) {
  for (const Spec& s : group.specs)
    if (offset < s.offset + 4 * s.count) return "weight \"" + s.name + "\" (bytes " + std::to_string(s.offset) +
                                                 " to " + std::to_string(s.offset + 4 * s.count) + " of its group)";
  return "no weight";
}

// A shard path may name a file in the folder or below it, never one elsewhere.
fs::path shard_path(const json::Value& v, const fs::path& folder) {
  const fs::path relative(v.as_string());
  bool escapes = relative.empty() || relative.is_absolute() || relative.has_root_name();
  for (const auto& part : relative) escapes = escapes || part == "..";
  if (escapes) v.fail("\"" + relative.string() + "\": a shard must be a file in the model's folder");
  return folder / relative;
}

Group read_group(const json::Value& g, const fs::path& folder, int64_t& total_bytes) {
  g.require_object();
  Group group;
  for (const json::Value& p : g.at("paths").as_array()) group.shards.push_back(shard_path(p, folder));
  for (const json::Value& w : g.at("weights").as_array()) {
    w.require_object();
    Spec s;
    s.name = w.at("name").as_string();
    const std::string dtype = w.at("dtype").as_string();
    if (dtype != "float32")
      w.at("dtype").fail("weight \"" + s.name + "\" is " + dtype + "; elucid reads float32 weights only");
    if (w.has("quantization"))
      w.at("quantization").fail("weight \"" + s.name + "\" is quantized; elucid reads float32 weights only");
    const auto dims = w.at("shape").as_array();
    if (dims.size() > kMaxRank)
      w.at("shape").fail("weight \"" + s.name + "\" has rank " + std::to_string(dims.size()) + " (at most " +
                         std::to_string(kMaxRank) + ")");
    // Each dimension and the running product are bounded by the largest model, so nothing overflows.
    const int64_t max_values = kMaxModelBytes / 4;
    s.count = 1;
    for (const json::Value& d : dims) {
      const int64_t n = d.as_int(0, max_values);
      s.count = n == 0 ? 0 : (s.count > max_values / n ? max_values + 1 : s.count * n);
      s.shape.push_back(n);
    }
    s.offset = group.bytes;
    group.bytes += 4 * s.count;
    total_bytes += 4 * s.count;
    if (s.count > max_values || total_bytes > kMaxModelBytes)
      w.fail("weight \"" + s.name + "\" of shape " + to_string(s.shape) + " makes the weights larger than " +
             std::to_string(kMaxModelBytes) + " bytes");
    group.specs.push_back(std::move(s));
  }
  return group;
}

// Every shard is there and together they hold exactly the group's bytes: checked before any is read.
void check_shards(const Group& group, size_t index, const std::string& source) {
  int64_t have = 0;
  for (const fs::path& shard : group.shards) {
    std::error_code ec;
    const bool file = fs::is_regular_file(shard, ec);
    const uintmax_t size = file ? fs::file_size(shard, ec) : 0;
    if (!file || ec)
      throw Error(shard.string() + ": no such file (a shard of " + source + "; it holds " + weight_at(group, have) +
                  ")");
    have += static_cast<int64_t>(std::min<uintmax_t>(size, uintmax_t{1} << 62));
    if (have > group.bytes)
      throw Error(shard.string() + ": the shards of weight group " + std::to_string(index + 1) + " up to this one hold " +
                  std::to_string(have) + " bytes, more than the " + std::to_string(group.bytes) + " its weights need (" +
                  source + ")");
  }
  if (have < group.bytes) {
    const std::string last = group.shards.empty() ? source : group.shards.back().string();
    throw Error(last + ": the shards of weight group " + std::to_string(index + 1) + " hold " + std::to_string(have) +
                " bytes, short of the " + std::to_string(group.bytes) + " its weights need (" + source + "): " +
                weight_at(group, have) + " is cut short");
  }
}
}  // namespace

void export_tfjs(const train::Trainer& model, const std::string& dir, int64_t shard_bytes) {
  if (shard_bytes <= 0 || shard_bytes % 4 != 0)
    throw Error("export_tfjs: the shard size must be a positive multiple of 4 bytes, got " + std::to_string(shard_bytes));
  // The architecture first: it throws for a model that is not built, before anything is written.
  json::Json topology = json::parse(model.to_json(), "the model's Keras JSON");
  // TensorFlow.js computes in float32 and takes a layer's dtype as a string: a mixed_bfloat16 layer is written as
  // float32 (loaded back, it computes in float32 until its policy is set again).
  for (json::Json& layer : topology["config"]["layers"])
    if (layer["config"].contains("dtype")) layer["config"]["dtype"] = "float32";

  // tfjs' model.weights order: every layer's trainable weights, then every layer's non-trainable ones.
  std::vector<NamedTensor> weights = model.trainable_weights();
  for (NamedTensor& w : model.non_trainable_weights()) weights.push_back(std::move(w));
  json::Json specs = json::Json::array();
  std::string data;
  for (const auto& [name, tensor] : weights) {
    json::Json spec = json::Json::object();
    spec["name"] = name;
    spec["shape"] = tensor.shape();
    spec["dtype"] = "float32";
    specs.push_back(std::move(spec));
    put_floats(data, tensor.data(), tensor.size());
  }

  const auto size = static_cast<int64_t>(data.size());
  const int64_t n = size == 0 ? 1 : (size + shard_bytes - 1) / shard_bytes;
  json::Json paths = json::Json::array();
  for (int64_t i = 0; i < n; ++i) {
    paths.push_back(shard_name(i, n));
    const int64_t begin = i * shard_bytes;
    const int64_t length = std::min(shard_bytes, size - begin);
    write_file_atomically((fs::path(dir) / shard_name(i, n)).string(),
                          std::string_view(data).substr(static_cast<size_t>(begin), static_cast<size_t>(length)));
  }

  // Keys in the order tfjs writes them (io_utils' getModelJSONForModelArtifacts).
  json::Json top = json::Json::object();
  top["modelTopology"] = topology;
  top["format"] = "layers-model";
  top["generatedBy"] = std::string("elucid ") + version;
  top["convertedBy"] = nullptr;
  json::Json group = json::Json::object();
  group["paths"] = std::move(paths);
  group["weights"] = std::move(specs);
  top["weightsManifest"] = json::Json::array({std::move(group)});
  // What Keras JSON does not carry, where tfjs keeps a model's own metadata (and gives it back untouched).
  json::Json ours = json::Json::object();
  if (model.compiled()) ours["compile_config"] = keras::compile_config_to_json(model);
  if (!model.class_names.empty()) ours["class_names"] = model.class_names;
  if (!ours.empty()) top["userDefinedMetadata"] = json::Json::object({{"elucid", std::move(ours)}});
  write_file_atomically((fs::path(dir) / "model.json").string(), top.dump());
}

bool is_tfjs_model(const std::string& path) {
  try {
    std::error_code ec;
    if (!fs::is_directory(path, ec) && fs::path(path).extension() != ".json") return false;
    const fs::path file = model_json_path(path);
    if (!fs::is_regular_file(file, ec) || fs::file_size(file, ec) > kMaxModelJsonBytes || ec) return false;
    return looks_like_tfjs(json::parse(read_file(file.string(), kMaxModelJsonBytes), file.string()));
  } catch (const std::exception&) {
    return false;
  }
}

ModelFile load_tfjs(const std::string& path) {
  const fs::path file = model_json_path(path);
  const std::string source = file.string();
  const json::Json top = json::parse(read_file(source, kMaxModelJsonBytes), source);
  const json::Value root(top, source, "");
  root.require_object();
  if (root.has("format") && root.at("format").as_string() != "layers-model")
    root.at("format").fail("\"" + root.at("format").as_string() +
                           "\": not a TensorFlow.js layers model (\"layers-model\"); a graph model has no Keras layers");

  // The manifest, then the shards' sizes, all before the model is built or a shard read.
  std::vector<Group> groups;
  int64_t total_bytes = 0;
  for (const json::Value& g : root.at("weightsManifest").as_array())
    groups.push_back(read_group(g, file.parent_path(), total_bytes));
  for (size_t i = 0; i < groups.size(); ++i) check_shards(groups[i], i, source);

  // The architecture: tensorflowjs_converter nests Keras' model JSON under model_config.
  json::Value topology = root.at("modelTopology");
  if (topology.is_object() && topology.has("model_config")) topology = topology.at("model_config");
  // As for a model file, the architecture may not ask for much more than the shards hold.
  const int64_t max_bytes = 2 * total_bytes + (int64_t{1} << 20);
  ModelFile result;
  std::optional<CompileConfig> compile;
  if (topology.is_object() && topology.has("class_name") && topology.at("class_name").is_string() &&
      topology.at("class_name").as_string() != "Sequential") {
    keras::FunctionalJson m = keras::read_functional(topology, max_bytes);
    result.functional.emplace(std::move(*m.model));
    compile = std::move(m.compile);
  } else {
    keras::ModelJson m = keras::read_model(topology, max_bytes);
    result.model = std::move(m.model);
    compile = std::move(m.compile);
  }
  train::Trainer& model = result.trainer();

  // Each manifest weight is one of the model's, of the layer's shape; each of the model's is in the manifest.
  const std::vector<NamedTensor> weights = model.weights();
  std::map<std::string, const Spec*> specs;
  std::vector<std::string> known;
  known.reserve(weights.size());
  for (const NamedTensor& w : weights) known.push_back(w.name);
  for (const Group& g : groups)
    for (const Spec& s : g.specs) {
      if (!specs.emplace(s.name, &s).second)
        throw Error(source + ": weightsManifest: weight \"" + s.name + "\" is listed twice");
      const auto it = std::find(known.begin(), known.end(), s.name);
      if (it == known.end()) {
        const std::string near = json::nearest(s.name, known);
        throw Error(source + ": weightsManifest: weight \"" + s.name + "\" is not one of the model's weights" +
                    (near.empty() ? "" : "; did you mean \"" + near + "\"?"));
      }
      const Shape& expected = weights[static_cast<size_t>(it - known.begin())].tensor.shape();
      if (s.shape != expected)
        throw Error(source + ": weightsManifest: weight \"" + s.name + "\" has shape " + to_string(s.shape) +
                    "; the layer's is " + to_string(expected));
    }
  for (const NamedTensor& w : weights)
    if (!specs.count(w.name))
      throw Error(source + ": weightsManifest: the model's weight \"" + w.name + "\" is not in it");

  // The values: each group's shards, concatenated, then each weight from its offset.
  for (size_t i = 0; i < groups.size(); ++i) {
    std::string bytes;
    for (const fs::path& shard : groups[i].shards) bytes += read_file(shard.string(), kMaxModelBytes + 1);
    // The files may have changed since they were measured.
    if (static_cast<int64_t>(bytes.size()) != groups[i].bytes) check_shards(groups[i], i, source);
    if (static_cast<int64_t>(bytes.size()) != groups[i].bytes)
      throw Error(source + ": the shards of weight group " + std::to_string(i + 1) + " changed while they were read");
    for (const Spec& s : groups[i].specs) {
      Tensor t = weights[static_cast<size_t>(std::find(known.begin(), known.end(), s.name) - known.begin())].tensor;
      get_floats(bytes.data() + s.offset, t.data(), s.count);
    }
  }

  try {
    if (compile) compile->apply(model);
    if (root.has("userDefinedMetadata")) {
      const json::Value meta = root.at("userDefinedMetadata");
      if (meta.is_object() && meta.has("elucid")) {
        const json::Value ours = meta.at("elucid");
        ours.require_object();
        if (ours.has("compile_config")) keras::compile_config_from_json(ours.at("compile_config"), false).apply(model);
        if (ours.has("class_names"))
          for (const json::Value& c : ours.at("class_names").as_array()) result.class_names.push_back(c.as_string());
      }
    }
  } catch (const Error& e) {
    const std::string what = e.what();
    throw Error(what.rfind(source, 0) == 0 ? what : source + ": " + what);
  }
  model.class_names = result.class_names;
  return result;
}

}  // namespace elucid
