// Data-parallel training under mpirun (distributed/mpi_strategy.hpp): tests/distributed/mpi/mpi_check.cpp started on 2 ranks on this
// machine, compared with the same program in one process; ranks that die, hang or throw; and `mpirun -np 2 elucid
// train` with its checkpoints resumed on 1 and 2 ranks. Built with MPI only.
#include <catch2/catch.hpp>

#ifdef ELUCID_MPI_CHECK

#include "support/recipe_testing.hpp"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace fs = std::filesystem;

namespace {

// Each test case has its own folder in here: ctest runs them at the same time.
const fs::path root = fs::path(ELUCID_BINARY_DIR) / "test_mpi";

// For the sanitizer build (the plain build ignores them): Open MPI's own allocations kept until exit are suppressed
// by tests/distributed/mpi/lsan.supp, which names its libraries; those allocations are made in components that MPI_Finalize has
// unloaded by the time LeakSanitizer looks, so it needs whole stacks (the slow unwinder) to reach a frame in
// libopen-pal or libmpi. elucid's own leaks are still reported.
const char* const kSanitizerOptions = "LSAN_OPTIONS=suppressions=" ELUCID_SOURCE_DIR "/tests/distributed/mpi/lsan.supp "
                                      "ASAN_OPTIONS=fast_unwind_on_malloc=0 ";

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<float> floats(const fs::path& path) {
  const std::string bytes = slurp(path);
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

// Runs elucid_mpi_check with `args`, on 2 ranks under mpirun or alone; returns the exit status, the output in `log`.
// mpirun as CI runs it: as root, on a machine with fewer cores than ranks; `timeout` ends a test that would hang.
int run(const fs::path& folder, bool under_mpirun, const std::string& args, std::string& log) {
  fs::create_directories(folder);
  const fs::path log_file = folder / "log.txt";
  const std::string lsan = kSanitizerOptions;
  const std::string launcher =
      under_mpirun ? std::string(ELUCID_MPIEXEC) + " --allow-run-as-root --oversubscribe -np 2 -x LSAN_OPTIONS "
                                                   "-x ASAN_OPTIONS "
                   : "";
  const std::string command =
      lsan + "timeout 120 " + launcher + ELUCID_MPI_CHECK + " " + args + " > " + log_file.string() + " 2>&1";
  const int status = std::system(command.c_str());
  log = slurp(log_file);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// Runs `elucid ARGS` in `dir` on `ranks` ranks under mpirun, or alone when ranks is 0; the output in `log`.
int run_elucid(const fs::path& dir, int ranks, const std::string& args, std::string& log) {
  const std::string launcher = ranks > 0 ? std::string(ELUCID_MPIEXEC) + " --allow-run-as-root --oversubscribe -np " +
                                               std::to_string(ranks) + " -x LSAN_OPTIONS -x ASAN_OPTIONS "
                                         : "";
  const std::string command = "cd '" + dir.string() + "' && " + kSanitizerOptions + "timeout 120 " + launcher +
                              ELUCID_BINARY_DIR "/elucid " + args + " > log.txt 2>&1";
  const int status = std::system(command.c_str());
  log = slurp(dir / "log.txt");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// The figures of the last row of a history CSV.
std::vector<double> last_row(const fs::path& csv) {
  std::istringstream lines(slurp(csv));
  std::string line, last;
  while (std::getline(lines, line))
    if (!line.empty()) last = line;
  std::vector<double> values;
  std::istringstream cells(last);
  for (std::string cell; std::getline(cells, cell, ',');) values.push_back(std::stod(cell));
  return values;
}

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// The two numbers of every "history NAME A B" line. (No std::regex: GCC 12 warns falsely inside libstdc++'s regex
// at -O2 with sanitizers, and CI has -Werror.)
std::vector<double> history(const std::string& log) {
  std::vector<double> values;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string tag, name;
    double a = 0, b = 0;
    if (words >> tag >> name >> a >> b && tag == "history") values.insert(values.end(), {a, b});
  }
  return values;
}

// Runs elucid_mpi_check MODE (train, dropout) in one process and on 2 ranks in `folder`, checks what every such run
// must give (both ranks the same bits, the one-process weights within 1e-5, the same History up to a relative 1e-5)
// and returns the largest weight difference; the 2-rank run's output in `two_log`.
float against_one_process(const fs::path& folder, const std::string& mode, size_t parameters, std::string& two_log) {
  fs::remove_all(folder);
  std::string one_log;
  const int one_status = run(folder, false, mode + "-single " + (folder / "one").string(), one_log);
  INFO(one_log);
  REQUIRE(one_status == 0);
  const int two_status = run(folder, true, mode + " " + (folder / "two").string(), two_log);
  INFO(two_log);
  REQUIRE(two_status == 0);

  const auto one = floats(folder / "one.rank0.weights");
  const auto rank0 = floats(folder / "two.rank0.weights");
  const auto rank1 = floats(folder / "two.rank1.weights");
  REQUIRE(one.size() == parameters);
  REQUIRE(rank0.size() == one.size());
  CHECK(rank0 == rank1);  // every rank takes the same steps from the same summed gradients: the same bits
  float difference = 0;
  for (size_t i = 0; i < one.size(); ++i) difference = std::max(difference, std::abs(one[i] - rank0[i]));
  INFO("max abs difference of the weights, 2 ranks against 1: " << difference);
  CHECK(difference < 1e-5f);
  CHECK(difference > 0);  // the two runs did not share anything by mistake

  // The History holds global figures: those of one process, up to the same rounding.
  const auto figures_one = history(one_log), figures_two = history(two_log);
  REQUIRE(figures_one.size() == 8);
  REQUIRE(figures_two.size() == 8);
  for (size_t i = 0; i < 8; ++i) CHECK(figures_two[i] == Approx(figures_one[i]).epsilon(1e-5));
  return difference;
}

}  // namespace

TEST_CASE("mpirun -np 2 at global batch 64 trains the seed model as one process at batch 64", "[distributed][mpi]") {
  // 6 Adam steps: the gradients of 64 samples summed as 32 + 32 (and the last batch's 45 as 23 + 22), and each
  // half-batch's sgemm, round differently from one process's. Measured here: 1.3e-7; the test allows 1e-5.
  const fs::path folder = root / "train";
  std::string log;
  against_one_process(folder, "train", 93322, log);
  INFO(log);
  CHECK(log.find("strategy: MPI (Open MPI") != std::string::npos);
  CHECK(log.find("rank 0 of 2") != std::string::npos);
  // Only rank 0 prints and writes its files.
  CHECK(count(log, "Epoch 1/2") == 1);
  CHECK(count(log, "Epoch 2/2") == 1);
  CHECK(count(log, "history loss") == 1);
  CHECK(fs::exists(folder / "two.csv"));
}

TEST_CASE("mpirun -np 2 at global batch 64 draws one process's Dropout masks", "[distributed][mpi][dropout]") {
  // Two Dropout layers: each sample's mask is keyed by the step and its place in the global batch, whichever rank
  // holds it, so 2 ranks follow one process as closely as without Dropout. Measured here: 1.9e-8 (1.2e-2 with each
  // rank's part keyed as if it began the batch).
  std::string log;
  against_one_process(root / "dropout", "dropout", 43706, log);
}

TEST_CASE("under mpirun a rank that dies, fails, hangs or throws ends the whole job with a message",
          "[distributed][mpi][errors]") {
  // Each run ends (a hang would end in `timeout` and status 124) with mpirun's status: 128 + the signal that killed a
  // rank, or the first non-zero exit status. mpirun also prints its own account, not checked here: Open MPI
  // aggregates those messages and sometimes leaves one out.
  const fs::path folder = root / "errors";
  std::string log;
  // A rank killed: mpirun itself ends the job, rank 0 (waiting in its first broadcast) with it.
  CHECK(run(folder, true, "die", log) == 128 + 9);
  CHECK(log.find("rank 1 is killed on purpose before the first collective") != std::string::npos);

  // An error on one rank outside fit(): the program's error path calls Strategy::abort, which says which rank
  // failed and why, and MPI_Abort ends every rank.
  CHECK(run(folder, true, "fail", log) == 1);
  CHECK(log.find("elucid: rank 1 of 2: rank 1 fails on purpose before the first collective") != std::string::npos);

  // An error on one rank in the middle of training: fit() does the same.
  CHECK(run(folder, true, "throw", log) == 1);
  CHECK(log.find("elucid: rank 1 of 2: a callback fails on purpose at batch 1") != std::string::npos);

  // A rank that hangs without dying: the others' watchdog (1 s here, 300 s by default) ends them with the call's
  // name, and mpirun then ends the one that hangs.
  CHECK(run(folder, true, "hang", log) == 1);
  CHECK(log.find("elucid: rank 0 of 2: MPI_Bcast of the ") != std::string::npos);
  CHECK(log.find(" has not completed after 1 s; another rank has probably died or hangs") != std::string::npos);

  // A rank killed in the middle of training, with `elucid train`'s signal handlers: mpirun's SIGTERM to rank 0 is
  // answered with the rank that was lost, and no checkpoint is promised (rank 0 cannot finish the batch).
  CHECK(run(folder, true, "lost", log) != 0);
  CHECK(log.find("rank 1 is killed on purpose at batch 1") != std::string::npos);
  CHECK(log.find("elucid: rank 0 of 2: rank 1 was lost (its process has ended); the job is ending") != std::string::npos);
  CHECK(log.find("writing a checkpoint") == std::string::npos);
}

TEST_CASE("mpirun -np 2 elucid train writes its outputs once, and its checkpoints resume on 1 or 2 ranks",
          "[distributed][mpi][cli]") {
  // The tiny recipe of the CLI tests (with its Dropout layer), 2 epochs of 5 global batches (16 samples: 8 + 8 on 2
  // ranks), a checkpoint every 2 batches, the newest 2 kept.
  const fs::path dir = root / "cli";
  fs::remove_all(dir);
  fs::create_directories(dir);
  elucid::test::write_tiny_idx(dir);
  std::string recipe = elucid::test::tiny_recipe(
      2, R"(, "output": {"model": "tiny.elucid", "history_csv": "tiny.history.csv", "checkpoint_every": 2})");
  REQUIRE(recipe.find("\"Dropout\"") != std::string::npos);
  elucid::test::write_text(dir / "tiny.json", recipe);

  std::string log;
  const int status = run_elucid(dir, 2, "train tiny.json", log);
  INFO(log);
  REQUIRE(status == 0);
  CHECK(count(log, "Wrote tiny.elucid") == 1);  // rank 0 alone writes and reports
  CHECK(count(log, "Test (24 samples)") == 1);
  const std::string model_bytes = slurp(dir / "tiny.elucid");
  CHECK(!model_bytes.empty());
  const auto two_ranks = last_row(dir / "tiny.history.csv");
  REQUIRE(two_ranks.size() >= 5);  // epoch, accuracy, loss, val_accuracy, val_loss (and the learning rate)
  CHECK(two_ranks[0] == 1);
  const fs::path last = dir / "tiny.checkpoints" / "checkpoint-e0002-b000000.elucid";
  const fs::path middle = dir / "tiny.checkpoints" / "checkpoint-e0001-b000004.elucid";
  REQUIRE(fs::exists(last));
  REQUIRE(fs::exists(middle));

  // The checkpoint written by 2 ranks after 4 batches of epoch 2 goes on in one process (the same Dropout masks);
  // the epoch's figures are those of the 2-rank run up to float rounding.
  fs::remove(last);
  const int one_rank_status = run_elucid(dir, 0, "train tiny.json --resume", log);
  INFO(log);
  REQUIRE(one_rank_status == 0);
  CHECK(log.find("Resuming from tiny.checkpoints/checkpoint-e0001-b000004.elucid (epoch 2, batch 4)") !=
        std::string::npos);
  const auto one_rank = last_row(dir / "tiny.history.csv");
  REQUIRE(one_rank.size() == two_ranks.size());
  for (size_t i = 0; i < one_rank.size(); ++i) CHECK(one_rank[i] == Approx(two_ranks[i]).epsilon(1e-4));

  // And the same checkpoint on 2 ranks: rank 0 reads it and sends it to rank 1. The same ranks: the same bits as
  // the uninterrupted run, Dropout masks included.
  fs::remove(last);
  const int two_ranks_status = run_elucid(dir, 2, "train tiny.json --resume", log);
  INFO(log);
  REQUIRE(two_ranks_status == 0);
  CHECK(count(log, "Resuming from tiny.checkpoints/checkpoint-e0001-b000004.elucid (epoch 2, batch 4)") == 1);
  CHECK(last_row(dir / "tiny.history.csv") == two_ranks);
  CHECK(slurp(dir / "tiny.elucid") == model_bytes);

  // An error on one rank's side ends the whole job with its message: a recipe whose data is missing.
  fs::remove(dir / "train-labels.idx");
  CHECK(run_elucid(dir, 2, "train tiny.json", log) == 2);
  CHECK(log.find("elucid: rank ") != std::string::npos);
  CHECK(log.find("train-labels.idx") != std::string::npos);
}

#endif
