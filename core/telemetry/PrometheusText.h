#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

namespace rebound {

/// Writes the Prometheus text exposition format (version 0.0.4): each family's HELP and TYPE
/// once, then its samples; label values escaped (backslash, quote, line feed).
class PrometheusText final
{
public:
    using Labels = QList<QPair<QString, QString>>;

    /// Starts a family; `type` is counter, gauge or histogram.
    void family(const char *name, const char *type, const char *help);
    void sample(const char *name, const Labels &labels, double value);
    /// A histogram: cumulative counts at each upper bound, then every observation's count and
    /// sum.
    void histogram(const char *name, const Labels &labels, const QList<double> &bounds,
                   const QList<quint64> &cumulative, quint64 count, double sum);
    QByteArray text() const { return m_out; }

    static QByteArray escape(const QString &labelValue);
    static QByteArray number(double value);

private:
    QByteArray m_out;
};

} // namespace rebound
