// LeafGradients: per-thread gradient buffers for shared leaves, found by a thread-local pointer.
#include <elucid/core/leaf_gradients.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/kernels/team_loop.hpp>

#include <algorithm>
#include <string>
#include <utility>

namespace elucid {

namespace {
thread_local LeafGradients* active = nullptr;
}

void LeafGradients::reset(std::span<const Tensor> leaves) {
  slots_.resize(leaves.size());
  for (size_t i = 0; i < leaves.size(); ++i) {
    slots_[i].leaf = leaves[i];
    slots_[i].values.resize(static_cast<size_t>(leaves[i].size()));
    slots_[i].written = false;
  }
}

std::optional<GradBuffer> LeafGradients::active_buffer(const TensorNode* leaf) {
  if (!active) return std::nullopt;
  for (Slot& s : active->slots_) {
    if (s.leaf.node() != leaf) continue;
    const GradBuffer buffer{s.values.data(), !s.written};
    s.written = true;
    return buffer;
  }
  return std::nullopt;
}

void LeafGradients::add_into_leaves() { add_into_leaves(std::span<LeafGradients>(this, 1)); }

void LeafGradients::add_into_leaves(std::span<LeafGradients> in_order) {
  if (in_order.empty()) return;
  const size_t leaves = in_order[0].slots_.size();
  for (const LeafGradients& g : in_order)
    if (g.slots_.size() != leaves)
      throw Error("LeafGradients::add_into_leaves: gradients over " + std::to_string(g.slots_.size()) + " and " +
                  std::to_string(leaves) + " leaves");
  // Each leaf's sum as a job: its buffer (allocated here, on this thread, when the leaf has no gradient yet), the
  // written gradients in order. Then the jobs' elements in blocks over the team.
  struct Job {
    GradBuffer to;
    std::vector<const float*> from;
    int64_t size;
  };
  std::vector<Job> jobs;
  for (size_t i = 0; i < leaves; ++i) {
    Job job{{}, {}, static_cast<int64_t>(in_order[0].slots_[i].values.size())};
    for (const LeafGradients& g : in_order)
      if (g.slots_[i].written) job.from.push_back(g.slots_[i].values.data());
    if (job.from.empty()) continue;
    job.to = in_order[0].slots_[i].leaf.grad_buffer();
    jobs.push_back(std::move(job));
  }
  constexpr int64_t kBlock = 4096;
  std::vector<std::pair<size_t, int64_t>> blocks;  // (job, first element)
  for (size_t j = 0; j < jobs.size(); ++j)
    for (int64_t e = 0; e < jobs[j].size; e += kBlock) blocks.emplace_back(j, e);
  const auto n_blocks = static_cast<int64_t>(blocks.size());
  kernels::team_loop(n_blocks, kernels::on_team(n_blocks, 4), [&](int64_t b) {
    const Job& job = jobs[blocks[b].first];
    const int64_t e = blocks[b].second, count = std::min(kBlock, job.size - e);
    for (size_t k = 0; k < job.from.size(); ++k)  // in order; the first copied when the leaf has no gradient yet
      add_into({job.to.data + e, job.to.fresh && k == 0}, job.from[k] + e, count);
  });
  for (LeafGradients& g : in_order)
    for (Slot& s : g.slots_) {
      s.written = false;
      s.leaf = Tensor();  // the buffers stay for the next step, the weights are not kept alive by them
    }
}

LeafGradients::Scope::Scope(LeafGradients& gradients) : previous_(active) { active = &gradients; }
LeafGradients::Scope::~Scope() { active = previous_; }

}  // namespace elucid
