// The Keras 2.x progress bar, piece by piece, and the lines it prints on a pipe.
#include <elucid/train/progress_bar.hpp>

#include <catch2/catch.hpp>

#include <sstream>

using namespace elucid;

TEST_CASE("progress bar draws Keras' bar", "[progress_bar]") {
  CHECK(ProgressBar::bar(0, 1688) == "   0/1688 [..............................]");
  CHECK(ProgressBar::bar(7, 100) == "  7/100 [=>............................]");
  CHECK(ProgressBar::bar(50, 100) == " 50/100 [==============>...............]");
  CHECK(ProgressBar::bar(1688, 1688) == "1688/1688 [==============================]");
  CHECK(ProgressBar::bar(1, 1) == "1/1 [==============================]");
}

TEST_CASE("progress bar formats figures and times as Keras does", "[progress_bar]") {
  Logs logs;
  logs.set("loss", 0.42314);
  logs.set("accuracy", 0.84731);
  logs.set("tiny", 0.00012345);
  CHECK(ProgressBar::figures(logs) == " - loss: 0.4231 - accuracy: 0.8473 - tiny: 1.2345e-04");
  CHECK(ProgressBar::format_duration(9.4) == "9s");
  CHECK(ProgressBar::format_duration(65) == "1:05");
  CHECK(ProgressBar::format_duration(3723) == "1:02:03");
  CHECK(ProgressBar::format_per_step(0.005) == "5ms/step");
  CHECK(ProgressBar::format_per_step(2.0) == "2s/step");
  CHECK(ProgressBar::format_per_step(0.00004) == "40us/step");
}

TEST_CASE("progress bar prints one line per epoch when the output is not a terminal", "[progress_bar]") {
  Logs logs;
  logs.set("loss", 0.5);
  std::ostringstream out;
  ProgressBar bar(3, 1, out, /*interactive=*/false);
  bar.update(1, logs);
  bar.update(2, logs);
  CHECK(out.str().empty());
  bar.finish(logs);
  const std::string s = out.str();
  CHECK(s.rfind("3/3 [==============================] - ", 0) == 0);
  CHECK(s.find("/step - loss: 0.5000\n") != std::string::npos);
  CHECK(std::count(s.begin(), s.end(), '\n') == 1);

  std::ostringstream quiet;
  ProgressBar silent(3, 0, quiet, false);
  silent.finish(logs);
  CHECK(quiet.str().empty());

  std::ostringstream two;
  ProgressBar epoch_line(3, 2, two, false);
  epoch_line.finish(logs);
  CHECK(two.str().rfind("3/3 - ", 0) == 0);
  CHECK(two.str().find("s/epoch - ") != std::string::npos);
}

TEST_CASE("progress bar redraws in place on a terminal", "[progress_bar]") {
  Logs logs;
  logs.set("loss", 1.0);
  std::ostringstream out;
  ProgressBar bar(10, 1, out, /*interactive=*/true);
  bar.update(1, logs);
  bar.finish(logs);
  const std::string s = out.str();
  CHECK(s.rfind("\r 1/10 [==>", 0) == 0);
  CHECK(s.find("ETA: ") != std::string::npos);
  CHECK(s.find("\r10/10 [==============================]") != std::string::npos);
  CHECK(s.back() == '\n');
}
