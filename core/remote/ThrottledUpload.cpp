#include "remote/ThrottledUpload.h"

#include <QNetworkReply>

#include <cstring>

namespace rebound {

ThrottledUpload::ThrottledUpload(QByteArray body, qint64 readBufferBytes, QObject *parent)
    : QIODevice(parent), m_body(std::move(body)), m_readBufferBytes(readBufferBytes)
{
    open(QIODevice::ReadOnly);
}

qint64 ThrottledUpload::readData(char *data, qint64 maxSize)
{
    if (!m_applied && m_reply) {
        m_reply->setReadBufferSize(m_readBufferBytes);
        m_applied = true;
    }
    const qint64 n = std::min(maxSize, m_body.size() - pos());
    if (n <= 0)
        return -1; // end of the body
    std::memcpy(data, m_body.constData() + pos(), static_cast<size_t>(n));
    return n;
}

qint64 ThrottledUpload::writeData(const char *, qint64)
{
    return -1;
}

} // namespace rebound
