#pragma once

#include "policy/RetryPolicy.h"

#include <QJsonValue>
#include <QStringList>

#include <vector>

namespace rebound {

/// One scalar setting of a policy: where it lives in the file, what it may hold, how it reads
/// to a person, and how to get and set it on a RetryPolicy. The reader validates with it, the
/// writer serialises with it, the editor builds its form from it: the schema is written once.
/// (Lists — status codes, problem types, match types — are read and written by hand.)
struct PolicyField
{
    enum class Kind
    {
        Real,
        Integer,
        Boolean,
        Choice
    };
    const char *section; ///< "backoff", "breaker", …
    const char *key;
    Kind kind;
    double min = 0;
    double max = 0;
    bool minExclusive = false;
    const char *unit = ""; ///< "ms", "%", "s" or empty
    const char *label = ""; ///< what the editor calls it
    QStringList choices;    ///< Choice: the allowed words
    bool inEditor = false;  ///< shown as a form row (the rest are edited as text)
    QJsonValue (*get)(const RetryPolicy &) = nullptr;
    /// Stores a value already checked against kind and range; false: not one of the choices.
    bool (*set)(RetryPolicy &, const QJsonValue &) = nullptr;

    QString path() const { return QLatin1String(section) + u'.' + QLatin1String(key); }
};

class PolicySchema final
{
public:
    /// Every scalar field, grouped by section in file order.
    static const std::vector<PolicyField> &fields();
    static const PolicyField *find(const QString &section, const QString &key);
    /// The sections that hold scalar fields, in file order.
    static QStringList sections();
};

} // namespace rebound
