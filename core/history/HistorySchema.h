#pragma once

#include "support/Result.h"

namespace rebound {

class SqliteDb;

/// The history's tables and their versions: creates them in a new file and brings an older
/// file up to date in one transaction (version 2: the delay before jitter; version 3: the
/// fence an outbox action was sent with). A file of a newer Rebound is refused, untouched.
class HistorySchema final
{
public:
    static constexpr int kVersion = 3;

    static Result<void> migrate(SqliteDb &db);
};

} // namespace rebound
