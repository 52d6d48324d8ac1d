#include "app/open_store.h"

#include <filesystem>

#include "store/dynamodb/dynamodb_store.h"
#include "store/sqlite/sqlite_store.h"

namespace ghscale::app {

Result<std::unique_ptr<store::Store>> open_store(const config::Config& cfg, StoreUse use) {
  namespace fs = std::filesystem;
  if (cfg.store.kind == config::StoreConfig::Kind::kDynamoDb) {
    store::DynamoDbOptions o;
    o.table = cfg.store.dynamodb_table;
    o.session.region = cfg.store.dynamodb_region;
    o.session.endpoint_url = cfg.store.dynamodb_endpoint_url;
    return store::open_dynamodb_store(o);
  }
  const std::string& path = cfg.store.sqlite_path;
  std::error_code ec;
  if (use == StoreUse::kExisting && !fs::exists(path, ec)) {
    return make_error(ErrorKind::kNotFound, "no store at " + path + " (store.sqlite.path); `ghscale serve` creates it");
  }
  // SQLite takes an empty file for a new database, and opening it would write the schema
  // into it: a command that only reads must not turn some empty file into a store.
  if (use == StoreUse::kExisting && fs::is_regular_file(path, ec) && fs::file_size(path, ec) == 0 && !ec) {
    return make_error(ErrorKind::kNotFound,
                      "no store at " + path + " (store.sqlite.path): the file is empty; `ghscale serve` creates it");
  }
  if (use == StoreUse::kDaemon) {
    fs::path parent = fs::path(path).parent_path();
    if (!parent.empty() && !fs::exists(parent, ec)) {
      fs::create_directories(parent, ec);
      if (ec) {
        return make_error(ErrorKind::kInvalid,
                          "cannot create the store's directory " + parent.string() + ": " + ec.message());
      }
    }
  }
  return store::open_sqlite_store(path);
}

}  // namespace ghscale::app
