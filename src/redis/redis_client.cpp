#include "redis/redis_client.hpp"

#include <boost/url/parse.hpp>

#include <stdexcept>

namespace karma::redis {

namespace {
timeval to_timeval(int ms) {
  return timeval{ms / 1000, (ms % 1000) * 1000};
}
}  // namespace

Target parse_url(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "redis")
    throw std::invalid_argument("REDIS_URL must look like redis://[:password@]host[:port][/db]");
  Target t;
  if (!parsed->host().empty()) t.host = parsed->host();
  if (parsed->has_port()) t.port = parsed->port_number();
  if (parsed->has_password()) t.password = parsed->password();
  const std::string path = parsed->path();
  if (path.size() > 1) t.db = std::stoi(path.substr(1));
  return t;
}

std::string failure(redisContext* c, const Reply& reply) {
  if (reply && reply->type != REDIS_REPLY_ERROR) return {};
  if (reply) return std::string(reply->str, reply->len);
  return c->errstr[0] ? std::string(c->errstr) : std::string("no reply");
}

Context connect(const Target& t, std::string& error, int connect_timeout_ms, int reply_timeout_ms) {
  Context c(redisConnectWithTimeout(t.host.c_str(), t.port, to_timeval(connect_timeout_ms)));
  if (!c || c->err) {
    error = c ? c->errstr : "out of memory";
    return nullptr;
  }
  const auto fails = [&](const Reply& r) {
    error = failure(c.get(), r);
    return !error.empty();
  };
  if (!t.password.empty() &&
      fails(command(c.get(), "AUTH %b", t.password.data(), t.password.size())))
    return nullptr;
  if (t.db != 0 && fails(command(c.get(), "SELECT %d", t.db))) return nullptr;
  if (reply_timeout_ms > 0 && redisSetTimeout(c.get(), to_timeval(reply_timeout_ms)) != REDIS_OK) {
    error = c->errstr;
    return nullptr;
  }
  return c;
}

}  // namespace karma::redis
