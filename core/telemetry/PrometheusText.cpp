#include "telemetry/PrometheusText.h"

#include <cmath>

namespace rebound {

void PrometheusText::family(const char *name, const char *type, const char *help)
{
    m_out += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n';
}

QByteArray PrometheusText::escape(const QString &labelValue)
{
    QByteArray out;
    const QByteArray utf8 = labelValue.toUtf8();
    out.reserve(utf8.size());
    for (const char c : utf8) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

QByteArray PrometheusText::number(double value)
{
    if (std::isnan(value))
        return "NaN";
    if (std::isinf(value))
        return value > 0 ? "+Inf" : "-Inf";
    if (value == std::floor(value) && std::abs(value) < 1e15)
        return QByteArray::number(static_cast<qint64>(value));
    return QByteArray::number(value, 'g', 10);
}

void PrometheusText::sample(const char *name, const Labels &labels, double value)
{
    m_out += name;
    if (!labels.isEmpty()) {
        m_out += '{';
        for (qsizetype i = 0; i < labels.size(); ++i) {
            if (i)
                m_out += ',';
            m_out += labels[i].first.toLatin1() + "=\"" + escape(labels[i].second) + '"';
        }
        m_out += '}';
    }
    m_out += ' ' + number(value) + '\n';
}

void PrometheusText::histogram(const char *name, const Labels &labels, const QList<double> &bounds,
                               const QList<quint64> &cumulative, quint64 count, double sum)
{
    const QByteArray base(name);
    for (qsizetype i = 0; i < bounds.size(); ++i) {
        Labels l = labels;
        l.append({QStringLiteral("le"), QString::fromLatin1(number(bounds[i]))});
        sample((base + "_bucket").constData(), l, double(cumulative[i]));
    }
    Labels inf = labels;
    inf.append({QStringLiteral("le"), QStringLiteral("+Inf")});
    sample((base + "_bucket").constData(), inf, double(count));
    sample((base + "_sum").constData(), labels, sum);
    sample((base + "_count").constData(), labels, double(count));
}

} // namespace rebound
