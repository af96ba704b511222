#pragma once
// Operations: /healthz, /readyz, /metrics (API.md §9).
#include <string>

#include "http/metrics.hpp"
#include "platform/module.hpp"

namespace karma::ops {

class OpsModule final : public Module {
 public:
  OpsModule(const Platform& platform, http::Metrics& metrics, std::string version)
      : db_(platform.db), metrics_(metrics), version_(std::move(version)) {}
  void mount(http::Router& router, jobs::Scheduler& jobs) override;

 private:
  db::Database& db_;
  http::Metrics& metrics_;
  std::string version_;
};

}  // namespace karma::ops
