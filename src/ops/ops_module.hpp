#pragma once
// Operations: /healthz, /readyz, /metrics (API.md §9), /api/openapi.json and /docs.
#include <memory>
#include <string>

#include "http/metrics.hpp"
#include "ops/database_health.hpp"
#include "platform/module.hpp"

namespace karma::ops {

class ApiDocs;

class OpsModule final : public Module {
 public:
  OpsModule(const Platform& platform, http::Metrics& metrics, std::string version);
  void mount(http::Router& router, jobs::Scheduler& jobs) override;

 private:
  DatabaseHealth health_;
  const realtime::EventBus& bus_;
  http::Metrics& metrics_;
  std::string version_;
  std::shared_ptr<const ApiDocs> docs_;
};

}  // namespace karma::ops
