#pragma once
// What the Redis users (the event bus, the shared rate limiter) need of hiredis: the URL, a
// connection with timeouts, and commands whose replies free themselves. Blocking calls: never
// on an I/O thread.
#include <hiredis/hiredis.h>

#include <memory>
#include <string>

namespace karma::redis {

// What a connection needs: redis://[:password@]host[:port][/db].
struct Target {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;
  int db = 0;
};

// Throws std::invalid_argument for anything but a redis:// URL.
Target parse_url(const std::string& url);

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

template <class... Args>
Reply command(redisContext* c, const char* format, Args... args) {
  return Reply(static_cast<redisReply*>(redisCommand(c, format, args...)));
}

// A connection ready for commands (authenticated, its database selected), or null with `error`
// set. Connecting waits up to `connect_timeout_ms`; with `reply_timeout_ms` > 0 each command
// waits at most that long (a subscriber passes 0: it waits for messages as long as it takes).
Context connect(const Target& target, std::string& error, int connect_timeout_ms,
                int reply_timeout_ms);

// The reply's error text, or the connection's when there was no reply; empty when it succeeded.
std::string failure(redisContext* c, const Reply& reply);

}  // namespace karma::redis
