#include "policy/TimeoutConfig.h"

namespace rebound {

QString toText(SlaPreset p)
{
    switch (p) {
    case SlaPreset::None:
        return QStringLiteral("none");
    case SlaPreset::A:
        return QStringLiteral("A");
    case SlaPreset::B:
        return QStringLiteral("B");
    }
    return {};
}

std::optional<SlaPreset> slaPresetFromString(const QString &s)
{
    if (s == QLatin1String("none"))
        return SlaPreset::None;
    if (s == QLatin1String("A"))
        return SlaPreset::A;
    if (s == QLatin1String("B"))
        return SlaPreset::B;
    return std::nullopt;
}

TimeoutConfig TimeoutConfig::effective() const
{
    TimeoutConfig c = *this;
    if (sla == SlaPreset::A) {
        c.percentile = 0.9999;
        c.ceilingMs = 200;
    } else if (sla == SlaPreset::B) {
        c.percentile = 0.999;
        c.ceilingMs = 500;
    }
    if (c.floorMs > c.ceilingMs)
        c.floorMs = c.ceilingMs;
    return c;
}

} // namespace rebound
