#include "http/request_parser.hpp"

#include <boost/url/parse.hpp>

#include "core/app_error.hpp"
#include "core/validation.hpp"

namespace karma::http {

std::optional<Response> ambiguous_header(const bhttp::request<bhttp::string_body>& r) {
  const auto hosts = r.count(bhttp::field::host);
  if (hosts > 1 || (hosts == 0 && r.version() >= 11))
    return Response::error(
        AppError::invalid("host", "must appear exactly once in an HTTP/1.1 request"));
  for (const auto field : {bhttp::field::authorization, bhttp::field::proxy_authorization,
                           bhttp::field::content_type}) {
    if (r.count(field) > 1) {
      const std::string name = ascii_lower(bhttp::to_string(field));
      return Response::error(AppError::invalid(name, "may appear only once"));
    }
  }
  return std::nullopt;
}

bool parse_target(std::string_view raw, std::string& path,
                  std::vector<std::pair<std::string, std::string>>& query) {
  auto target = !raw.empty() && raw.front() == '/' ? boost::urls::parse_origin_form(raw)
                                                   : boost::urls::parse_absolute_uri(raw);
  if (!target) return false;
  const auto scheme = target->scheme_id();
  if (scheme != boost::urls::scheme::none && scheme != boost::urls::scheme::http &&
      scheme != boost::urls::scheme::https)
    return false;
  const auto decoded = target->path();
  path.assign(decoded.begin(), decoded.end());
  if (path.empty()) path = "/";
  for (auto param : target->params()) query.emplace_back(param.key, param.value);
  return true;
}

}  // namespace karma::http
