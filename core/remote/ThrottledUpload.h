#pragma once

#include <QIODevice>
#include <QNetworkReply>
#include <QPointer>

namespace rebound {

/// A request body that sets its reply's read-buffer limit the first time Qt reads it.
///
/// Qt 6.4 passes QNetworkReply::setReadBufferSize() to its HTTP thread only once that thread
/// has taken the request; for a request with a body it starts later, and a limit set right
/// after sending is lost, so the HTTP thread buffers an endless answer without bound. Qt reads
/// the body only after the HTTP thread has taken the request and before it sends the body, so
/// a limit set here arrives before the server can have read the request.
class ThrottledUpload final : public QIODevice
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ThrottledUpload)

public:
    ThrottledUpload(QByteArray body, qint64 readBufferBytes, QObject *parent = nullptr);

    void setReply(QNetworkReply *reply) { m_reply = reply; }
    bool isSequential() const override { return false; }
    qint64 size() const override { return m_body.size(); }

protected:
    qint64 readData(char *data, qint64 maxSize) override;
    qint64 writeData(const char *data, qint64 size) override;

private:
    QByteArray m_body;
    qint64 m_readBufferBytes;
    QPointer<QNetworkReply> m_reply;
    bool m_applied = false;
};

} // namespace rebound
