#include "agent/protocol/json_patch.hpp"

#include <boost/json.hpp>

#include <vector>

namespace karma::agent {

namespace bj = boost::json;

namespace {

std::vector<std::string> parse_pointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer.front() != '/') throw PatchError("a path must be empty or start with '/'");
  std::string token;
  for (std::size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
    } else if (pointer[i] == '~') {
      if (i + 1 == pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1'))
        throw PatchError("'~' must be followed by 0 or 1 in a path");
      token += pointer[++i] == '0' ? '~' : '/';
    } else {
      token += pointer[i];
    }
  }
  return tokens;
}

// An array index as RFC 6901 spells it: digits, no leading zero; `size` allowed when `append`.
std::size_t array_index(const std::string& token, std::size_t size, bool append) {
  if (append && token == "-") return size;
  if (token.empty() || token.size() > 9 || (token.size() > 1 && token[0] == '0'))
    throw PatchError("'" + token + "' is not an array index");
  std::size_t index = 0;
  for (char c : token) {
    if (c < '0' || c > '9') throw PatchError("'" + token + "' is not an array index");
    index = index * 10 + static_cast<std::size_t>(c - '0');
  }
  if (index > size || (!append && index == size))
    throw PatchError("array index " + token + " is out of range");
  return index;
}

bj::value& resolve(bj::value& root, const std::vector<std::string>& tokens, std::size_t count) {
  bj::value* at = &root;
  for (std::size_t i = 0; i < count; ++i) {
    if (auto* object = at->if_object()) {
      const auto it = object->find(tokens[i]);
      if (it == object->end()) throw PatchError("no member '" + tokens[i] + "'");
      at = &it->value();
    } else if (auto* array = at->if_array()) {
      at = &(*array)[array_index(tokens[i], array->size(), false)];
    } else {
      throw PatchError("the path goes through a value that is neither object nor array");
    }
  }
  return *at;
}

void add(bj::value& root, const std::vector<std::string>& path, bj::value value) {
  if (path.empty()) {
    root = std::move(value);
    return;
  }
  bj::value& parent = resolve(root, path, path.size() - 1);
  if (auto* object = parent.if_object()) {
    (*object)[path.back()] = std::move(value);
  } else if (auto* array = parent.if_array()) {
    const std::size_t index = array_index(path.back(), array->size(), true);
    array->insert(array->begin() + static_cast<std::ptrdiff_t>(index), std::move(value));
  } else {
    throw PatchError("cannot add to a value that is neither object nor array");
  }
}

bj::value remove(bj::value& root, const std::vector<std::string>& path) {
  if (path.empty()) throw PatchError("cannot remove the whole document");
  bj::value& parent = resolve(root, path, path.size() - 1);
  if (auto* object = parent.if_object()) {
    const auto it = object->find(path.back());
    if (it == object->end()) throw PatchError("no member '" + path.back() + "' to remove");
    bj::value removed = std::move(it->value());
    object->erase(it);
    return removed;
  }
  if (auto* array = parent.if_array()) {
    const std::size_t index = array_index(path.back(), array->size(), false);
    bj::value removed = std::move((*array)[index]);
    array->erase(array->begin() + static_cast<std::ptrdiff_t>(index));
    return removed;
  }
  throw PatchError("cannot remove from a value that is neither object nor array");
}

const bj::string& member_string(const bj::object& op, std::string_view key) {
  const auto* found = op.if_contains(key);
  if (!found || !found->is_string())
    throw PatchError("operation needs a string '" + std::string(key) + "'");
  return found->get_string();
}

const bj::value& member_value(const bj::object& op) {
  const auto* found = op.if_contains("value");
  if (!found) throw PatchError("operation needs a 'value'");
  return *found;
}

void apply_one(bj::value& doc, const bj::object& op) {
  const std::string_view name = member_string(op, "op");
  const auto path = parse_pointer(member_string(op, "path"));
  if (name == "add") {
    add(doc, path, member_value(op));
  } else if (name == "remove") {
    remove(doc, path);
  } else if (name == "replace") {
    resolve(doc, path, path.size()) = member_value(op);
  } else if (name == "move" || name == "copy") {
    const std::string_view from_text = member_string(op, "from");
    const auto from = parse_pointer(from_text);
    if (name == "move") {
      const std::string_view to_text = member_string(op, "path");
      if (to_text.size() > from_text.size() && to_text.substr(0, from_text.size()) == from_text &&
          to_text[from_text.size()] == '/')
        throw PatchError("cannot move a value into itself");
      add(doc, path, remove(doc, from));
    } else {
      add(doc, path, resolve(doc, from, from.size()));
    }
  } else if (name == "test") {
    if (!json_equal(resolve(doc, path, path.size()), member_value(op)))
      throw PatchError("test failed at '" + std::string(member_string(op, "path")) + "'");
  } else {
    throw PatchError("unknown operation '" + std::string(name) + "'");
  }
}

void diff_into(bj::array& out, const std::string& path, const bj::value& from,
               const bj::value& to) {
  if (json_equal(from, to)) return;
  const auto* a = from.if_object();
  const auto* b = to.if_object();
  if (!a || !b) {
    out.push_back(bj::object{{"op", "replace"}, {"path", path}, {"value", to}});
    return;
  }
  for (const auto& member : *a)
    if (!b->contains(member.key()))
      out.push_back(
          bj::object{{"op", "remove"}, {"path", path + "/" + pointer_token(member.key())}});
  for (const auto& member : *b) {
    const std::string child = path + "/" + pointer_token(member.key());
    if (const auto* before = a->if_contains(member.key()))
      diff_into(out, child, *before, member.value());
    else
      out.push_back(bj::object{{"op", "add"}, {"path", child}, {"value", member.value()}});
  }
}

}  // namespace

bj::value apply_patch(const bj::value& doc, const bj::array& patch) {
  bj::value result = doc;
  for (const auto& op : patch) {
    if (!op.is_object()) throw PatchError("an operation must be an object");
    apply_one(result, op.get_object());
  }
  return result;
}

bj::array diff(const bj::value& from, const bj::value& to) {
  bj::array out;
  diff_into(out, "", from, to);
  return out;
}

std::string pointer_token(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

bool json_equal(const bj::value& a, const bj::value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_double() || b.is_double()) return a.to_number<double>() == b.to_number<double>();
    if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
    if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
    const auto signed_ = a.is_int64() ? a.get_int64() : b.get_int64();
    const auto unsigned_ = a.is_uint64() ? a.get_uint64() : b.get_uint64();
    return signed_ >= 0 && static_cast<std::uint64_t>(signed_) == unsigned_;
  }
  if (a.kind() != b.kind()) return false;
  if (const auto* x = a.if_object()) {
    const auto& y = b.get_object();
    if (x->size() != y.size()) return false;
    for (const auto& member : *x) {
      const auto* other = y.if_contains(member.key());
      if (!other || !json_equal(member.value(), *other)) return false;
    }
    return true;
  }
  if (const auto* x = a.if_array()) {
    const auto& y = b.get_array();
    if (x->size() != y.size()) return false;
    for (std::size_t i = 0; i < x->size(); ++i)
      if (!json_equal((*x)[i], y[i])) return false;
    return true;
  }
  return a == b;
}

}  // namespace karma::agent
