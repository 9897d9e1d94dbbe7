// elucid: the whole public API in one include. `#include <elucid/elucid.hpp>`
#pragma once

#include <elucid/core/error.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/core/parallel.hpp>
#include <elucid/core/random.hpp>
#include <elucid/core/shape.hpp>
#include <elucid/core/tensor.hpp>
#include <elucid/core/version.hpp>

#include <elucid/layers/layers.hpp>

#include <elucid/optim/get.hpp>
#include <elucid/optim/optimizers.hpp>

#include <elucid/data/batches.hpp>
#include <elucid/data/dataset.hpp>
#include <elucid/data/datasets.hpp>
#include <elucid/data/image_dataset.hpp>
#include <elucid/data/synthetic.hpp>
#include <elucid/data/tensor_dataset.hpp>

#include <elucid/train/callback.hpp>
#include <elucid/callbacks/csv_logger.hpp>
#include <elucid/callbacks/early_stopping.hpp>
#include <elucid/train/history.hpp>
#include <elucid/saving/keras_json.hpp>
#include <elucid/callbacks/learning_rate_scheduler.hpp>
#include <elucid/train/losses.hpp>
#include <elucid/train/metrics.hpp>
#include <elucid/train/trainer.hpp>
#include <elucid/saving/model_file.hpp>
#include <elucid/callbacks/reduce_lr_on_plateau.hpp>
#include <elucid/model/sequential.hpp>
#include <elucid/callbacks/terminate_on_nan.hpp>

#include <elucid/report/confusion_matrix.hpp>
#include <elucid/report/image_grid.hpp>
#include <elucid/report/training_curves.hpp>
