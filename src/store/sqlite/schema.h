// The SQLite store's schema and its versioned migrations. The schema version lives in the
// file header (PRAGMA user_version); application_id marks the file as a ghscale store.
#pragma once

#include "core/error.h"
#include "store/sqlite/db.h"

namespace ghscale::store::sqlite {

// The version this build writes. A file with a higher version is refused, unchanged.
int current_schema_version();
inline constexpr int kApplicationId = 0x67687363;  // "ghsc"

// Checks that the file is a ghscale store this build understands (or a new, empty file),
// then switches it to WAL and applies pending migrations in one transaction. Every refusal
// happens before the first write, so bad input leaves the file exactly as it was.
Status open_schema(Connection& conn, bool durable);

}  // namespace ghscale::store::sqlite
