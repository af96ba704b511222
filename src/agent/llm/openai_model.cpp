#include "agent/llm/openai_model.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <map>

#include "core/crypto.hpp"
#include "core/json.hpp"

namespace karma::agent {

namespace bj = boost::json;

namespace {

constexpr std::size_t kErrorBodyLimit = 64 * 1024;
constexpr std::size_t kLineLimit = 1 << 20;  // one SSE line; a provider's chunk is far smaller

bj::array chat_messages(const ModelRequest& request) {
  bj::array out;
  if (!request.system_prompt.empty())
    out.push_back(bj::object{{"role", "system"}, {"content", request.system_prompt}});
  for (const auto& m : request.messages) {
    if (m.role == "tool") {
      out.push_back(bj::object{
          {"role", "tool"}, {"tool_call_id", m.tool_call_id.value_or("")}, {"content", m.content}});
    } else if (m.role == "assistant") {
      bj::object message{{"role", "assistant"}};
      message["content"] = m.content.empty() && m.tool_calls ? bj::value() : bj::value(m.content);
      if (m.tool_calls) {
        boost::system::error_code ec;
        bj::value calls = bj::parse(*m.tool_calls, ec);
        if (!ec && calls.is_array() && !calls.get_array().empty()) {
          for (auto& c : calls.get_array())
            if (auto* o = c.if_object()) o->erase("encryptedValue"), o->erase("metadata");
          message["tool_calls"] = std::move(calls);
        }
      }
      out.push_back(std::move(message));
    } else {
      out.push_back(
          bj::object{{"role", m.role == "user" ? "user" : "system"}, {"content", m.content}});
    }
  }
  return out;
}

bj::array chat_tools(const ModelRequest& request) {
  bj::array out;
  for (const auto& t : request.tools) {
    bj::object function{{"name", t.name}, {"description", t.description}};
    function["parameters"] = t.parameters.empty()
                                 ? bj::object{{"type", "object"}, {"properties", bj::object{}}}
                                 : t.parameters;
    out.push_back(bj::object{{"type", "function"}, {"function", std::move(function)}});
  }
  return out;
}

// The provider's own words about an error body, when it has any.
std::string provider_message(const std::string& body) {
  boost::system::error_code ec;
  const bj::value v = bj::parse(body, ec);
  if (!ec && v.is_object())
    if (const auto* error = v.as_object().if_contains("error")) {
      if (error->is_string()) return std::string(error->get_string());
      if (const auto* o = error->if_object())
        if (const auto* m = o->if_contains("message"); m && m->is_string())
          return std::string(m->get_string());
    }
  return body.substr(0, 200);
}

// Reads one streamed completion's chunks into `out`.
class ChunkReader {
 public:
  explicit ChunkReader(ModelOutput& out) : out_(out) {}

  // False once the stream said it is done.
  bool line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.starts_with("data:")) return true;  // comments, event names, blank separators
    line.remove_prefix(5);
    if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line == "[DONE]") {
      finish();
      return false;
    }
    boost::system::error_code ec;
    const bj::value chunk = bj::parse(line, ec);
    if (ec || !chunk.is_object())
      throw ModelError("The model provider sent a chunk that is not JSON");
    const auto& o = chunk.as_object();
    if (o.contains("error"))
      throw ModelError("The model provider failed: " + provider_message(json::serialize(o)));
    const auto* choices = o.if_contains("choices");
    if (!choices || !choices->is_array()) {
      if (o.contains("usage")) return true;
      throw ModelError("The model provider sent a chunk without choices");
    }
    for (const auto& choice : choices->get_array()) {
      const auto* c = choice.if_object();
      if (!c) continue;
      if (const auto* delta = c->if_contains("delta"); delta && delta->is_object())
        read(delta->get_object());
      if (const auto* message = c->if_contains("message"); message && message->is_object())
        read(message->get_object());  // a whole answer (stream off)
      if (const auto* reason = c->if_contains("finish_reason"); reason && reason->is_string())
        finish();
    }
    return true;
  }

  bool finished() const { return finished_; }

 private:
  void read(const bj::object& delta) {
    for (const char* key : {"reasoning_content", "reasoning"})
      if (const auto* r = delta.if_contains(key); r && r->is_string() && !r->get_string().empty())
        out_.reasoning(r->get_string());
    if (const auto* text = delta.if_contains("content");
        text && text->is_string() && !text->get_string().empty())
      out_.text(text->get_string());
    const auto* calls = delta.if_contains("tool_calls");
    if (!calls || !calls->is_array()) return;
    for (const auto& item : calls->get_array()) {
      const auto* call = item.if_object();
      if (!call) continue;
      const auto* index = call->if_contains("index");
      const std::int64_t at = index && index->is_number() ? index->to_number<std::int64_t>()
                                                          : static_cast<std::int64_t>(ids_.size());
      const auto* function = call->if_contains("function");
      const bj::object* f = function ? function->if_object() : nullptr;
      auto known = ids_.find(at);
      if (known == ids_.end()) {
        const auto* id = call->if_contains("id");
        const auto* name = f ? f->if_contains("name") : nullptr;
        const std::string call_id = id && id->is_string() && !id->get_string().empty()
                                        ? std::string(id->get_string())
                                        : "call_" + crypto::uuid_v4();
        known = ids_.emplace(at, call_id).first;
        out_.tool_call_start(call_id,
                             name && name->is_string() ? std::string(name->get_string()) : "");
      }
      if (const auto* args = f ? f->if_contains("arguments") : nullptr;
          args && args->is_string() && !args->get_string().empty())
        out_.tool_call_args(known->second, args->get_string());
    }
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    for (const auto& [index, id] : ids_) out_.tool_call_end(id);
  }

  ModelOutput& out_;
  std::map<std::int64_t, std::string> ids_;  // a streamed call's index → its id
  bool finished_ = false;
};

}  // namespace

OpenAIModel::OpenAIModel(OpenAISettings settings) : settings_(std::move(settings)) {
  auto url = boost::urls::parse_uri(settings_.base_url);
  if (!url) throw std::invalid_argument("OPENAI_BASE_URL is not a URL: " + settings_.base_url);
  const std::string origin =
      std::string(url->scheme()) + "://" + std::string(url->encoded_host_and_port());
  std::string path(url->encoded_path());
  while (!path.empty() && path.back() == '/') path.pop_back();
  path_ = path + "/chat/completions";
  http::OutboundOptions options;
  options.connect_timeout = std::chrono::milliseconds(settings_.connect_timeout_ms);
  options.first_byte_timeout = std::chrono::milliseconds(settings_.first_byte_timeout_ms);
  options.io_timeout = std::chrono::milliseconds(settings_.idle_timeout_ms);
  client_ = std::make_unique<http::OutboundClient>(origin, options);
}

void OpenAIModel::complete(const ModelRequest& request, ModelOutput& out) {
  bj::object body{{"model", request.model.empty() ? settings_.default_model : request.model},
                  {"stream", true},
                  {"messages", chat_messages(request)}};
  if (!request.tools.empty()) {
    body["tools"] = chat_tools(request);
    body["tool_choice"] = "auto";
  }
  const std::string text = json::serialize(body);
  std::vector<http::Header> headers{{"content-type", "application/json"},
                                    {"accept", "text/event-stream"}};
  if (!settings_.api_key.empty())
    headers.push_back({"authorization", "Bearer " + settings_.api_key});
  try {
    auto response = client_->send({"POST", path_, std::move(headers), text, request.cancellation});
    if (response->status() != 200) {
      std::string error;
      try {
        error = provider_message(response->read_all(kErrorBodyLimit));
      } catch (const http::OutboundError&) {
      }
      throw ModelError("The model provider answered " + std::to_string(response->status()) +
                       (error.empty() ? "" : ": " + error));
    }
    const std::string_view type = response->header("content-type");
    const bool streamed = type.starts_with("text/event-stream");
    if (!streamed && !type.starts_with("application/json"))
      throw ModelError("The model provider answered " +
                       std::string(type.empty() ? "without a type" : type) + ", not a completion");
    ChunkReader reader(out);
    if (!streamed) {
      const std::string whole = response->read_all(kLineLimit);
      reader.line("data: " + whole);
      reader.line("data: [DONE]");
      return;
    }
    std::string pending;
    char buffer[16384];
    bool open = true;
    while (open) {
      if (out.cancelled()) return;
      const std::size_t n = response->read_some(buffer);
      if (n == 0) break;
      pending.append(buffer, n);
      std::size_t start = 0;
      for (std::size_t nl; open && (nl = pending.find('\n', start)) != std::string::npos;
           start = nl + 1)
        open = reader.line(std::string_view(pending).substr(start, nl - start));
      pending.erase(0, start);
      if (pending.size() > kLineLimit) throw ModelError("The model provider sent an endless line");
    }
    if (!pending.empty() && open) open = reader.line(pending);
    if (!reader.finished()) throw ModelError("The model provider's answer broke off");
  } catch (const http::OutboundError& e) {
    if (out.cancelled()) return;
    throw ModelError(std::string("The model provider could not be reached: ") + e.what());
  }
}

}  // namespace karma::agent
