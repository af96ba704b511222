#include "avatars/avatar_routes.hpp"

#include "avatars/avatar_json.hpp"
#include "core/json.hpp"

namespace karma::avatars {

using http::Request;
using http::Response;

namespace {

constexpr const char* kAvatar = "Avatar";

std::string wrapped(const AvatarView& avatar) {
  return json::keyed_text("avatar", avatar, append_avatar_json);
}

// One request, however it was spelled; fields apart by a byte no parameter holds.
std::string store_key(const StoreRequest& r) {
  std::string key = r.q.value_or("");
  for (const std::string& part :
       {r.skill.value_or(""), r.sort.value_or(""), std::to_string(r.paging.page),
        std::to_string(r.paging.page_size)}) {
    key += '\x1f';
    key += part;
  }
  return key;
}

}  // namespace

void mount_avatar_routes(http::Router& router, AvatarService& service, StampedCache& rendered) {
  using namespace http::schema;
  add_avatar_schemas(router.components());
  const auto avatar_reply = object({{"avatar", ref("Avatar")}}, {"avatar"});

  auto avatars = router.group("/api/avatars");
  avatars
      .get("",
           [&service](Request& req) {
             const auto list = service.list(req.require_caller());
             return Response::json_text(200, json::list_text("avatars", list, append_avatar_json));
           })
      .describe({.operation_id = "listAvatars",
                 .summary = "The caller's avatars (created or acquired)",
                 .tag = "Avatars",
                 .replies = {{200, object({{"avatars", array(ref("Avatar"))}}, {"avatars"})}}});
  avatars
      .post("",
            [&service](Request& req) {
              const auto created =
                  service.create(req.require_caller(), parse_new_avatar(req.json_body()));
              return Response::json_text(201, wrapped(created));
            })
      .describe({.operation_id = "createAvatar",
                 .summary = "Create an avatar",
                 .tag = "Avatars",
                 .body = ref("NewAvatar"),
                 .replies = {{201, avatar_reply}},
                 .errors = {403}});

  auto avatar = router.group("/api/avatars/:id");
  avatar
      .get("",
           [&service](Request& req) {
             return Response::json_text(
                 200, avatar_json(service.get(req.require_caller(), req.id_param("id", kAvatar))));
           })
      .describe({.operation_id = "getAvatar",
                 .summary = "One of the caller's avatars, or a public one",
                 .tag = "Avatars",
                 .replies = {{200, ref("Avatar")}}});
  avatar
      .put("",
           [&service](Request& req) {
             const std::string id = req.id_param("id", kAvatar);
             const AvatarChange change = parse_avatar_change(req.json_body());
             return Response::json_text(
                 200, avatar_json(service.update(req.require_caller(), id, change)));
           })
      .describe({.operation_id = "updateAvatar",
                 .summary = "Change an avatar (its creator only)",
                 .tag = "Avatars",
                 .body = ref("AvatarChange"),
                 .replies = {{200, ref("Avatar")}},
                 .errors = {403}});
  avatar
      .del("",
           [&service](Request& req) {
             service.remove(req.require_caller(), req.id_param("id", kAvatar));
             return Response::ok(nullptr);
           })
      .describe({.operation_id = "deleteAvatar",
                 .summary = "Delete an avatar (its creator only); its tasks become unassigned",
                 .tag = "Avatars",
                 .replies = {{200, boost::json::object{{"type", "null"}}}},
                 .errors = {403}});

  auto store = router.group("/api/store/avatars");
  store
      .get("",
           [&service, &rendered](Request& req) {
             const StoreRequest request = parse_store_request(req.query);
             const Caller& caller = req.require_caller();
             auto body = rendered.find_or_render(
                 store_key(request), service.store_stamp(), caller.user_id, [&] {
                   const auto [found, total] = service.store(caller, request);  // after the stamp
                   StampedCache::Rendered page;
                   page.body = json::success_envelope_text(
                       json::page_text("avatars", found, total, request.paging.page,
                                       request.paging.page_size, append_avatar_json, 1200));
                   // A page is the same for everyone but the authors of its prompts.
                   for (const AvatarView& v : found) {
                     page.not_for.push_back(v.record.prompt_author);
                     if (v.show_prompt) page.shareable = false;
                   }
                   return page;
                 });
             return Response::shared(200, std::move(body), "application/json");
           })
      .describe({.operation_id = "searchStore",
                 .summary = "Public avatars: full-text search, skill filter, sorting, paging",
                 .tag = "Store",
                 .query = store_parameters(),
                 .replies = {{200, page("avatars", ref("Avatar"))}}});

  auto listed = router.group("/api/store/avatars/:id");
  listed
      .post("/reviews",
            [&service](Request& req) {
              const std::string id = req.id_param("id", kAvatar);
              const NewReview input = parse_new_review(req.json_body());
              return Response::json_text(
                  201, json::keyed_text("review", service.review(req.require_caller(), id, input),
                                        append_review_json));
            })
      .describe({.operation_id = "reviewAvatar",
                 .summary = "Review a public avatar (once; not one's own)",
                 .tag = "Store",
                 .body = ref("NewReview"),
                 .replies = {{201, object({{"review", ref("Review")}}, {"review"})}},
                 .errors = {403, 409}});
  listed
      .get("/reviews",
           [&service](Request& req) {
             const std::string id = req.id_param("id", kAvatar);
             const Paging paging = parse_paging(req.query);
             const auto [reviews, total] = service.reviews(req.require_caller(), id, paging);
             return Response::json_text(
                 200, json::page_text("reviews", reviews, total, paging.page, paging.page_size,
                                      append_review_json, 400));
           })
      .describe({.operation_id = "listReviews",
                 .summary = "An avatar's reviews, newest first",
                 .tag = "Store",
                 .query = http::paging_parameters(),
                 .replies = {{200, page("reviews", ref("Review"))}}});
  listed
      .post("/acquire",
            [&service](Request& req) {
              return Response::json_text(
                  201, wrapped(service.acquire(req.require_caller(), req.id_param("id", kAvatar))));
            })
      .describe({.operation_id = "acquireAvatar",
                 .summary = "Copy a public avatar to the caller (paid ones need a paid plan)",
                 .tag = "Store",
                 .replies = {{201, avatar_reply}},
                 .errors = {403, 409}});
}

}  // namespace karma::avatars
