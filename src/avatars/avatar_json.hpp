#pragma once
// Avatars and reviews as JSON: the contract's shapes (API.md §5), the readers of request bodies
// and query strings, and their OpenAPI schemas.
#include <boost/json/object.hpp>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "avatars/avatar_service.hpp"
#include "http/openapi.hpp"

namespace karma::avatars {

inline constexpr std::array<std::string_view, 3> kAvatarStatuses{"idle", "working", "error"};
inline constexpr std::array<std::string_view, 4> kStoreSorts{"rating", "downloads", "price",
                                                             "createdAt"};
inline constexpr std::array<std::string_view, 5> kAbilities{"coding", "design", "writing",
                                                            "analysis", "communication"};

void append_avatar_json(std::string& out, const AvatarView& avatar);
std::string avatar_json(const AvatarView& avatar);
void append_review_json(std::string& out, const ReviewView& review);

NewAvatar parse_new_avatar(const boost::json::object& body);
AvatarChange parse_avatar_change(const boost::json::object& body);
StoreRequest parse_store_request(const std::vector<std::pair<std::string, std::string>>& query);
NewReview parse_new_review(const boost::json::object& body);

void add_avatar_schemas(http::Components& components);
std::vector<http::Parameter> store_parameters();

}  // namespace karma::avatars
