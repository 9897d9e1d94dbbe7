// Every optimizer and schedule in one include: SGD, Adam, AdamW, RMSprop, Adagrad; schedules::ExponentialDecay,
// PiecewiseConstantDecay, CosineDecay.
#pragma once
#include <elucid/optim/adagrad.hpp>
#include <elucid/optim/adam.hpp>
#include <elucid/optim/optimizer.hpp>
#include <elucid/optim/rmsprop.hpp>
#include <elucid/optim/schedules.hpp>
#include <elucid/optim/sgd.hpp>
