// The built-in data sets, called like Keras: auto [train, test] = elucid::datasets::fashion_mnist::load_data();
// Each returns uint8 ImageDatasets of (28, 28, 1) images with class labels; batches are floats in [0, 1].
#pragma once
#include <elucid/data/mnist_format.hpp>

namespace elucid::datasets {

using data::TrainTest;

// The environment variable naming a data directory: a data set X is looked for in $ELUCID_DATA/X, then in
// $ELUCID_DATA itself (fashion_mnist only in $ELUCID_DATA/fashion-mnist, then its Debian package).
inline constexpr const char* kDataEnvironmentVariable = "ELUCID_DATA";

namespace fashion_mnist {
inline constexpr const char* kPackageDirectory = "/usr/share/datasets/fashion-mnist";
// `dir` if given; else $ELUCID_DATA/fashion-mnist when it exists; else the Debian package dataset-fashion-mnist.
TrainTest load_data(const std::string& dir = "");
std::vector<std::string> class_names();  // T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, ...
}  // namespace fashion_mnist

namespace mnist {
TrainTest load_data(const std::string& dir = "");  // `dir`, else $ELUCID_DATA/mnist, else $ELUCID_DATA
std::vector<std::string> class_names();           // "0" .. "9"
}  // namespace mnist

namespace kmnist {
TrainTest load_data(const std::string& dir = "");  // `dir`, else $ELUCID_DATA/kmnist, else $ELUCID_DATA
std::vector<std::string> class_names();           // o, ki, su, tsu, na, ha, ma, ya, re, wo (romanised hiragana)
}  // namespace kmnist

}  // namespace elucid::datasets
