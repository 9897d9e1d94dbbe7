// History: fit's per-epoch figures, read as Keras reads them (history.history["loss"]).
#include <elucid/elucid.hpp>

#include <catch2/catch.hpp>

using namespace elucid;

TEST_CASE("History.history maps each figure to its values per epoch, as Keras' dict", "[history]") {
  History h;
  Logs logs;
  logs.set("loss", 0.75);
  logs.set("accuracy", 0.5);
  h.append(0, logs);
  logs.set("loss", 0.25);
  h.append(1, logs);
  CHECK(h.history["loss"] == std::vector<double>{0.75, 0.25});  // Keras: history.history["loss"]
  CHECK(h.history["loss"] == h["loss"]);                          // the short form stays
  CHECK(h.history.contains("accuracy"));
  CHECK_FALSE(h.history.contains("val_loss"));
  CHECK_THROWS_WITH(h.history["val_loss"], Catch::Contains("History has no \"val_loss\""));
  CHECK(h.history.size() == 2);
  CHECK(h.history[0].first == "loss");  // by position too, in the order the figures first appeared
  std::vector<std::string> names;
  for (const auto& [name, values] : h.history) names.push_back(name);
  CHECK(names == std::vector<std::string>{"loss", "accuracy"});
}
