// Recipe data: built-in data sets, IDX pairs and image folders, cut to max_*_samples when asked.
#include <elucid/recipe/recipe_data.hpp>

#include <elucid/core/error.hpp>
#include <elucid/data/datasets.hpp>
#include <elucid/data/image_folder.hpp>
#include <elucid/data/mnist_format.hpp>

#include <algorithm>
#include <filesystem>

namespace elucid {

namespace fs = std::filesystem;

namespace {
data::TrainTest built_in(const DataSource& s) {
  if (s.name == "fashion_mnist") return datasets::fashion_mnist::load_data(s.dir);
  if (s.name == "mnist") return datasets::mnist::load_data(s.dir);
  if (s.name == "kmnist") return datasets::kmnist::load_data(s.dir);
  throw Error("unknown data set \"" + s.name + "\"; built in: fashion_mnist, mnist, kmnist");
}

std::vector<std::string> built_in_names(const std::string& name) {
  if (name == "fashion_mnist") return datasets::fashion_mnist::class_names();
  if (name == "mnist") return datasets::mnist::class_names();
  return datasets::kmnist::class_names();
}

std::shared_ptr<const data::Dataset> first(std::shared_ptr<const data::Dataset> d, int64_t n) {
  if (!d || n <= 0 || n >= d->size()) return d;
  return data::subset(d, 0, n);
}

void require_file(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(path + ": no such file");
  if (!fs::is_regular_file(path, ec)) throw Error(path + ": is not a regular file");
}
}  // namespace

RecipeData load_recipe_data(const DataSource& s, const Shape& input, std::ostream* warnings) {
  RecipeData d;
  switch (s.kind) {
    case DataSource::Kind::BuiltIn: {
      auto [train, test] = built_in(s);
      d.train = train;
      d.test = test;
      d.class_names = built_in_names(s.name);
      break;
    }
    case DataSource::Kind::Idx: {
      auto train = data::load_idx_images(s.train_images, s.train_labels, s.class_names);
      d.train = train;
      if (!s.test_images.empty()) d.test = data::load_idx_images(s.test_images, s.test_labels, s.class_names);
      d.class_names = train->class_names();
      break;
    }
    case DataSource::Kind::ImageFolder: {
      data::ImageFolderOptions o;
      if (s.image_height > 0) o.image_size = {s.image_height, s.image_width};
      else if (input.size() == 3) o.image_size = {input[0], input[1]};
      else
        throw Error(s.dir + ": images need an image_size, or a model whose input is (height, width, channels); it is " +
                    to_string(input));
      const int64_t channels = input.size() == 3 ? input[2] : 3;
      o.color_mode = !s.color_mode.empty() ? s.color_mode : channels == 1 ? "grayscale" : channels == 4 ? "rgba" : "rgb";
      o.class_names = s.class_names;
      o.warnings = warnings;
      if (s.test_split > 0) {
        o.validation_split = s.test_split;
        o.seed = s.split_seed;
        o.subset = "training";
        d.train = data::image_dataset_from_directory(s.dir, o);
        o.subset = "validation";
        d.test = data::image_dataset_from_directory(s.dir, o);
      } else {
        d.train = data::image_dataset_from_directory(s.dir, o);
      }
      d.class_names = d.train->class_names();
      break;
    }
  }
  d.train = first(d.train, s.max_train_samples);
  d.test = first(d.test, s.max_test_samples);
  return d;
}

void check_data_source(const DataSource& s) {
  switch (s.kind) {
    case DataSource::Kind::BuiltIn:
      built_in(s);  // looked up (and read) where training will look
      return;
    case DataSource::Kind::Idx:
      for (const std::string* p : {&s.train_images, &s.train_labels, &s.test_images, &s.test_labels})
        if (!p->empty()) require_file(*p);
      return;
    case DataSource::Kind::ImageFolder: {
      std::error_code ec;
      if (!fs::is_directory(s.dir, ec)) throw Error(s.dir + ": no such folder");
      return;
    }
  }
}

}  // namespace elucid
