// Every layer, activation and initializer in one include, for users and for model/.
#pragma once
#include <elucid/layers/activation_layers.hpp>
#include <elucid/layers/activations.hpp>
#include <elucid/layers/batch_normalization.hpp>
#include <elucid/layers/conv2d.hpp>
#include <elucid/layers/cropping2d.hpp>
#include <elucid/layers/dense.hpp>
#include <elucid/layers/dropout.hpp>
#include <elucid/layers/edges.hpp>
#include <elucid/layers/flatten.hpp>
#include <elucid/layers/initializers.hpp>
#include <elucid/layers/input_layer.hpp>
#include <elucid/layers/layer.hpp>
#include <elucid/layers/pooling.hpp>
#include <elucid/layers/rescaling.hpp>
#include <elucid/layers/window.hpp>
#include <elucid/layers/zero_padding2d.hpp>
