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

#include <elucid/model/callback.hpp>
#include <elucid/model/csv_logger.hpp>
#include <elucid/model/early_stopping.hpp>
#include <elucid/model/history.hpp>
#include <elucid/model/keras_json.hpp>
#include <elucid/model/learning_rate_scheduler.hpp>
#include <elucid/model/losses.hpp>
#include <elucid/model/metrics.hpp>
#include <elucid/model/model_file.hpp>
#include <elucid/model/reduce_lr_on_plateau.hpp>
#include <elucid/model/sequential.hpp>
#include <elucid/model/terminate_on_nan.hpp>

#include <elucid/report/confusion_matrix.hpp>
#include <elucid/report/image_grid.hpp>
#include <elucid/report/training_curves.hpp>
