#include "github/scaleset/message_session.h"

#include "core/log.h"

namespace ghscale::scaleset {

Result<std::unique_ptr<MessageSession>> MessageSession::open(std::shared_ptr<Client> client, std::int64_t scale_set_id,
                                                             std::string owner) {
  auto session = client->create_session(scale_set_id, owner);
  if (!session) return std::move(session).error();
  log::info("scaleset: message session opened", {{"scale_set_id", scale_set_id}, {"session_id", session->session_id}});
  return std::unique_ptr<MessageSession>(
      new MessageSession(std::move(client), scale_set_id, std::move(owner), std::move(session).value()));
}

Status MessageSession::recover_locked(const Error& cause) {
  if (cause.kind == ErrorKind::kUnauthorized) {
    auto refreshed = client_->refresh_session(scale_set_id_, session_.session_id);
    if (refreshed) {
      session_ = std::move(refreshed).value();
      ++refreshes_;
      return ok_status();
    }
    if (refreshed.error().kind != ErrorKind::kNotFound) return refreshed.error();
  } else if (cause.kind != ErrorKind::kNotFound) {
    return cause;
  }
  // The service no longer knows the session: open a new one (someone else may have).
  log::warn("scaleset: message session lost; opening a new one", {{"scale_set_id", scale_set_id_}});
  auto created = client_->create_session(scale_set_id_, owner_);
  if (!created) return created.error();
  session_ = std::move(created).value();
  ++reopens_;
  return ok_status();
}

Result<std::optional<Message>> MessageSession::get_message(std::int64_t last_message_id, int max_capacity) {
  std::lock_guard lock(mu_);
  if (closed_) return make_error(ErrorKind::kInvalid, "scaleset: the message session is closed");
  auto message = client_->get_message(session_, last_message_id, max_capacity);
  if (message || (message.error().kind != ErrorKind::kUnauthorized && message.error().kind != ErrorKind::kNotFound)) {
    return message;
  }
  if (auto s = recover_locked(message.error()); !s) return s.error();
  return client_->get_message(session_, last_message_id, max_capacity);
}

Status MessageSession::delete_message(std::int64_t message_id) {
  std::lock_guard lock(mu_);
  if (closed_) return make_error(ErrorKind::kInvalid, "scaleset: the message session is closed");
  auto deleted = client_->delete_message(session_, message_id);
  if (deleted || (deleted.error().kind != ErrorKind::kUnauthorized && deleted.error().kind != ErrorKind::kNotFound)) {
    return deleted;
  }
  if (auto s = recover_locked(deleted.error()); !s) return s;
  return client_->delete_message(session_, message_id);
}

Status MessageSession::close() {
  std::lock_guard lock(mu_);
  if (closed_) return ok_status();
  closed_ = true;
  auto s = client_->delete_session(scale_set_id_, session_.session_id);
  if (!s && s.error().kind == ErrorKind::kNotFound) return ok_status();  // already gone
  return s;
}

Session MessageSession::session() const {
  std::lock_guard lock(mu_);
  return session_;
}

int MessageSession::refreshes() const {
  std::lock_guard lock(mu_);
  return refreshes_;
}

int MessageSession::reopens() const {
  std::lock_guard lock(mu_);
  return reopens_;
}

}  // namespace ghscale::scaleset
