// Training curves: the History of a fit as an SVG picture, one panel per figure (loss, accuracy, ...), training and
// validation lines per epoch, with axes, ticks, labels and a legend.
#pragma once
#include <elucid/train/history.hpp>

#include <string>

namespace elucid::report {

// Panels for "loss" and each metric that History holds (its "val_" twin drawn beside it); "lr" is left out.
std::string training_curves_svg(const History& history, const std::string& title);

}  // namespace elucid::report
