#include "webhook/payload_scan.h"

#include <boost/json/basic_parser_impl.hpp>

#include <array>

namespace ghscale::webhook {
namespace {

namespace json = boost::json;
using Kind = ScannedValue::Kind;

// Where the parser is: an object whose keys matter, the labels array, or anything else.
enum class Node : std::uint8_t { kRoot, kJob, kRepository, kOwner, kOrganization, kInstallation, kLabels, kIgnored };

// What a key leads to: a scalar field, an object to descend into, or the labels array.
struct Target {
  ScannedValue* slot = nullptr;
  Node opens = Node::kIgnored;  // kIgnored: the field is a scalar
};

// The SAX handler: keeps a stack of nodes (the parser bounds its depth) and the target
// of the last key; every value lands in its target or nowhere.
class Scanner {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  explicit Scanner(ScannedPayload& out) : out_(out) {}

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }

  bool on_object_begin(json::error_code&) {
    if (depth_ == 0) {
      out_.root_is_object = true;
      return push(Node::kRoot);
    }
    if (top() == Node::kLabels) return label_not_string(), push(Node::kIgnored);
    Target t = take_target();
    if (t.slot == nullptr) return push(Node::kIgnored);
    if (t.opens == Node::kIgnored || t.opens == Node::kLabels) {
      t.slot->kind = Kind::kOther;
      return push(Node::kIgnored);
    }
    open(t.opens);
    return push(t.opens);
  }
  bool on_object_end(std::size_t, json::error_code&) { return pop(); }

  bool on_array_begin(json::error_code&) {
    if (depth_ == 0) return push(Node::kIgnored);
    if (top() == Node::kLabels) return label_not_string(), push(Node::kIgnored);
    Target t = take_target();
    if (t.slot == nullptr) return push(Node::kIgnored);
    if (t.opens != Node::kLabels) {
      t.slot->kind = Kind::kOther;
      return push(Node::kIgnored);
    }
    t.slot->kind = Kind::kObject;  // "an array", for the labels slot
    out_.job.label_items.clear();
    out_.job.label_not_string = false;
    return push(Node::kLabels);
  }
  bool on_array_end(std::size_t, json::error_code&) { return pop(); }

  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (tracked(top())) key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    if (!tracked(top())) return true;
    std::string_view key(s.data(), s.size());
    if (!key_.empty()) key = key_.append(key);
    target_ = lookup(top(), key);
    key_.clear();
    return true;
  }

  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    if (wants_text()) text_.append(s.data(), s.size());
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    if (!wants_text()) {
      if (ScannedValue* slot = take_target().slot) slot->kind = Kind::kOther;  // an object or array field
      return true;
    }
    std::string value = std::move(text_);
    text_.clear();
    value.append(s.data(), s.size());
    if (top() == Node::kLabels) {
      out_.job.label_items.push_back(std::move(value));
    } else {
      ScannedValue* slot = take_target().slot;
      slot->kind = Kind::kString;
      slot->text = std::move(value);
    }
    return true;
  }

  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t v, json::string_view, json::error_code&) {
    if (ScannedValue* slot = scalar_slot()) {
      slot->kind = Kind::kInt64;
      slot->int64 = v;
    }
    return true;
  }
  bool on_uint64(std::uint64_t v, json::string_view, json::error_code&) {
    if (ScannedValue* slot = scalar_slot()) {
      slot->kind = Kind::kUint64;
      slot->uint64 = v;
    }
    return true;
  }
  bool on_double(double, json::string_view, json::error_code&) { return other_value(); }
  bool on_bool(bool, json::error_code&) { return other_value(); }
  bool on_null(json::error_code&) {
    if (depth_ == 0) return true;
    if (top() == Node::kLabels) return label_not_string(), true;
    if (ScannedValue* slot = take_target().slot) slot->kind = Kind::kNull;
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  static bool tracked(Node n) { return n != Node::kLabels && n != Node::kIgnored; }
  Node top() const { return depth_ == 0 ? Node::kIgnored : stack_[depth_ - 1]; }

  bool push(Node n) {
    // The parser stops at its max_depth (32) long before this; deeper is ignored anyway.
    if (depth_ < stack_.size()) stack_[depth_] = n;
    ++depth_;
    return true;
  }
  bool pop() {
    --depth_;
    target_ = {};
    return true;
  }
  Target take_target() {
    Target t = target_;
    target_ = {};
    return t;
  }
  void label_not_string() { out_.job.label_not_string = true; }

  bool wants_text() const {
    if (top() == Node::kLabels) return true;
    return target_.slot != nullptr && target_.opens == Node::kIgnored && tracked(top());
  }
  // The slot a number lands in: a scalar field's; an object field given a number is kOther.
  ScannedValue* scalar_slot() {
    if (top() == Node::kLabels) {
      label_not_string();
      return nullptr;
    }
    Target t = take_target();
    if (t.slot != nullptr && t.opens != Node::kIgnored) {
      t.slot->kind = Kind::kOther;
      return nullptr;
    }
    return t.slot;
  }
  bool other_value() {
    if (top() == Node::kLabels) return label_not_string(), true;
    if (ScannedValue* slot = take_target().slot) slot->kind = Kind::kOther;
    return true;
  }

  // An object field seen (again): it replaces what an earlier occurrence held.
  void open(Node n) {
    switch (n) {
      case Node::kJob: out_.job = {}; out_.job.self.kind = Kind::kObject; break;
      case Node::kRepository: out_.repository = {}; out_.repository.self.kind = Kind::kObject; break;
      case Node::kOwner: out_.repository.owner.kind = Kind::kObject; out_.repository.owner_login = {}; break;
      case Node::kOrganization: out_.organization = {}; out_.organization.self.kind = Kind::kObject; break;
      case Node::kInstallation: out_.installation = {}; out_.installation.self.kind = Kind::kObject; break;
      default: break;
    }
  }

  Target lookup(Node in, std::string_view key) {
    auto scalar = [](ScannedValue& v) { return Target{&v, Node::kIgnored}; };
    switch (in) {
      case Node::kRoot:
        if (key == "action") return scalar(out_.action);
        if (key == "hook_id") return scalar(out_.hook_id);
        if (key == "workflow_job") return {&out_.job.self, Node::kJob};
        if (key == "repository") return {&out_.repository.self, Node::kRepository};
        if (key == "organization") return {&out_.organization.self, Node::kOrganization};
        if (key == "installation") return {&out_.installation.self, Node::kInstallation};
        return {};
      case Node::kJob: return job_field(key);
      case Node::kRepository:
        if (key == "full_name") return scalar(out_.repository.full_name);
        if (key == "owner") return {&out_.repository.owner, Node::kOwner};
        return {};
      case Node::kOwner: return key == "login" ? scalar(out_.repository.owner_login) : Target{};
      case Node::kOrganization: return key == "login" ? scalar(out_.organization.field) : Target{};
      case Node::kInstallation: return key == "id" ? scalar(out_.installation.field) : Target{};
      default: return {};
    }
  }

  Target job_field(std::string_view key) {
    ScannedPayload::Job& j = out_.job;
    if (key == "labels") return {&j.labels, Node::kLabels};
    const std::array<std::pair<std::string_view, ScannedValue*>, 14> fields{{
        {"id", &j.id},
        {"run_id", &j.run_id},
        {"run_attempt", &j.run_attempt},
        {"status", &j.status},
        {"conclusion", &j.conclusion},
        {"runner_id", &j.runner_id},
        {"runner_name", &j.runner_name},
        {"runner_group_id", &j.runner_group_id},
        {"runner_group_name", &j.runner_group_name},
        {"workflow_name", &j.workflow_name},
        {"name", &j.name},
        {"created_at", &j.created_at},
        {"started_at", &j.started_at},
        {"completed_at", &j.completed_at},
    }};
    for (const auto& [name, slot] : fields) {
      if (name == key) return {slot, Node::kIgnored};
    }
    return {};
  }

  ScannedPayload& out_;
  std::array<Node, 64> stack_{};
  std::size_t depth_ = 0;
  Target target_;
  std::string key_;   // a key that came in parts
  std::string text_;  // a kept string that came in parts
};

}  // namespace

Result<ScannedPayload> scan_payload(std::string_view text) {
  ScannedPayload out;
  json::basic_parser<Scanner> parser(json::parse_options{}, out);
  json::error_code ec;
  const std::size_t n = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && n < text.size()) ec = json::error::extra_data;
  if (ec) return make_error(ErrorKind::kInvalid, "malformed JSON body: " + ec.message());
  return out;
}

}  // namespace ghscale::webhook
